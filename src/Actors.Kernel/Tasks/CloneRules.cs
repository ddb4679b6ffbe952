namespace Actors.Kernel.Tasks;

/// <summary>The flag checks of clone3() before any namespace or pid is touched, in the kernel's order.</summary>
/// <remarks>kernel/fork.c:clone3_args_valid() and the start of copy_process(); spec section 2.1 "error precedence".</remarks>
public static class CloneRules
{
    /// <summary>The largest set_tid array clone3 accepts (MAX_PID_NS_LEVEL).</summary>
    public const int MaxSetTid = 32;

    /// <param name="flags">clone flags.</param>
    /// <param name="setTidCount">set_tid_size.</param>
    /// <param name="unkillable">The caller's group has SIGNAL_UNKILLABLE (it is a namespace's init).</param>
    /// <param name="childrenInOwnNs">task_active_pid_ns(current) == nsproxy-&gt;pid_ns_for_children.</param>
    public static Errno Check(CloneFlags flags, int setTidCount, bool unkillable, bool childrenInOwnNs)
    {
        // clone3_args_valid(): "if (kargs->set_tid_size > MAX_PID_NS_LEVEL) return -EINVAL"
        if (setTidCount > MaxSetTid)
        {
            return Errno.EINVAL;
        }
        // copy_process(): the flag combinations.
        if ((flags & (CloneFlags.CLONE_NEWNS | CloneFlags.CLONE_FS)) == (CloneFlags.CLONE_NEWNS | CloneFlags.CLONE_FS))
        {
            return Errno.EINVAL;
        }
        if ((flags & (CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_FS)) == (CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_FS))
        {
            return Errno.EINVAL;
        }
        if ((flags & CloneFlags.CLONE_THREAD) != 0 && (flags & CloneFlags.CLONE_SIGHAND) == 0)
        {
            return Errno.EINVAL;
        }
        if ((flags & CloneFlags.CLONE_SIGHAND) != 0 && (flags & CloneFlags.CLONE_VM) == 0)
        {
            return Errno.EINVAL;
        }
        // "Siblings of global init remain as zombies on exit since they are not reaped by their parent (swapper)":
        // CLONE_PARENT from a namespace init is refused.
        if ((flags & CloneFlags.CLONE_PARENT) != 0 && unkillable)
        {
            return Errno.EINVAL;
        }
        // "If the new process will be in a different pid or user namespace do not allow it to share a thread group".
        if ((flags & CloneFlags.CLONE_THREAD) != 0 &&
            ((flags & (CloneFlags.CLONE_NEWUSER | CloneFlags.CLONE_NEWPID)) != 0 || !childrenInOwnNs))
        {
            return Errno.EINVAL;
        }
        return Errno.None;
    }

    /// <summary>kernel/pid_namespace.c:copy_pid_ns(): CLONE_NEWPID (clone or unshare) needs the caller's children to
    /// go into its own namespace, else -EINVAL.</summary>
    public static Errno CheckNewPid(bool childrenInOwnNs) => childrenInOwnNs ? Errno.None : Errno.EINVAL;
}
