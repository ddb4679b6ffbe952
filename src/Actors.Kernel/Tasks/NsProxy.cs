using Actors.Kernel.Ipc;
using Actors.Kernel.Pid;

namespace Actors.Kernel.Tasks;

/// <summary>The namespaces a task's future children are created in.</summary>
/// <remarks>
/// Linux: <c>struct nsproxy</c> (include/linux/nsproxy.h; kernel/nsproxy.c). Shared by tasks with an atomic count,
/// as in Linux: a fork without CLONE_NEW* shares its parent's; unshare, setns and CLONE_NEW* make a new one. Since
/// 2013 it holds only <c>pid_ns_for_children</c>; the task's own pid namespace comes from its pid
/// (<see cref="Pid.Pid.Ns"/>), because the nsproxy is released early in do_exit (exit_task_namespaces()) while the
/// zombie still needs its namespace. UTS, mount and net namespaces are identities only; the IPC namespace is real
/// (<see cref="IpcNsHandle"/>).
/// Invariant: a released proxy is never used again.
/// </remarks>
public sealed class NsProxy
{
    private int _count = 1;

    /// <summary>A proxy that owns one reference on each of <paramref name="pidNsForChildren"/> and <paramref name="ipcNs"/>
    /// (the caller took them).</summary>
    public NsProxy(NsHandle pidNsForChildren, IpcNsHandle ipcNs, int utsNs, int mntNs, int netNs)
    {
        PidNsForChildren = pidNsForChildren;
        IpcNs = ipcNs;
        UtsNs = utsNs;
        MntNs = mntNs;
        NetNs = netNs;
    }

    /// <summary>The pid namespace children are created in. Immutable (a change makes a new proxy).</summary>
    public NsHandle PidNsForChildren { get; }

    /// <summary>The IPC namespace (immutable; a change makes a new proxy).</summary>
    public IpcNsHandle IpcNs { get; }
    public int UtsNs { get; }
    public int MntNs { get; }
    public int NetNs { get; }

    /// <summary>get_nsproxy().</summary>
    public NsProxy Get()
    {
        if (Interlocked.Increment(ref _count) <= 1)
        {
            throw new InvariantViolationException("get_nsproxy on a freed nsproxy");
        }
        return this;
    }

    /// <summary>put_nsproxy(): the last put drops the proxy's namespace references.</summary>
    public void Put()
    {
        var left = Interlocked.Decrement(ref _count);
        if (left < 0)
        {
            throw new InvariantViolationException("put_nsproxy underflow");
        }
        if (left == 0)
        {
            PidNsForChildren.Put();
            IpcNs.Put();
        }
    }

    /// <summary>A new proxy with <paramref name="pidNsForChildren"/> (whose reference the caller already holds) and
    /// the other namespaces replaced where given (a new IPC namespace's first reference goes to the proxy; a kept one
    /// gets a new reference).</summary>
    public NsProxy With(NsHandle pidNsForChildren, IpcNsHandle? ipc = null, int? uts = null, int? mnt = null, int? net = null) =>
        new(pidNsForChildren, ipc ?? IpcNs.Get(), uts ?? UtsNs, mnt ?? MntNs, net ?? NetNs);
}
