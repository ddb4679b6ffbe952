namespace Actors.Kernel.Pid;

/// <summary>One pid namespace's own state: its place in the namespace tree.</summary>
/// <remarks>
/// Linux: <c>struct pid_namespace</c> (include/linux/pid_namespace.h; kernel/pid_namespace.c:create_pid_namespace(),
/// destroy_pid_namespace()). Its numbers, cursor, pid_max and PIDNS_ADDING live in <see cref="PidMap"/> (they are
/// protected by pidmap_lock); its child_reaper lives in the task list (tasklist_lock); its reference count is the
/// atomic in <see cref="NsHandle"/>. Not modelled: the owning user namespace (every model task is privileged).
/// Owned by one <see cref="PidNamespaceActor"/>; not thread-safe.
/// Invariant: every child's parent is this namespace and its level is this level plus one. A destroyed child stays
/// listed until its <c>ChildGone</c> arrives (checked at quiescence by KernelInvariants).
/// </remarks>
public sealed class PidNamespace
{
    private readonly List<NsHandle> _children = [];

    public PidNamespace(NsHandle handle)
    {
        Handle = handle;
    }

    /// <summary>This namespace. Immutable.</summary>
    public NsHandle Handle { get; }

    /// <summary>Live child namespaces, in creation order.</summary>
    public IReadOnlyList<NsHandle> Children => _children;

    /// <summary>create_pid_namespace(): the checks, in the kernel's order. ENOSPC for a level beyond
    /// <paramref name="maxLevel"/> ("if (level > MAX_PID_NS_LEVEL) goto out" with -ENOSPC).</summary>
    public Errno CheckCreateChild(int maxLevel) => Handle.Level + 1 > maxLevel ? Errno.ENOSPC : Errno.None;

    public void AddChild(NsHandle child)
    {
        if (!ReferenceEquals(child.Parent, Handle) || child.Level != Handle.Level + 1)
        {
            throw new InvariantViolationException($"{child} is not a child of {Handle}");
        }
        _children.Add(child);
    }

    public void RemoveChild(NsHandle child) => _children.Remove(child);

    public void CheckInvariants()
    {
        foreach (var child in _children)
        {
            if (!ReferenceEquals(child.Parent, Handle) || child.Level != Handle.Level + 1)
            {
                throw new InvariantViolationException($"{Handle}: child {child} has another parent or level");
            }
        }
    }
}
