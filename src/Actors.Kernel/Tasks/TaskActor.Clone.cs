using System.Collections.Immutable;
using Actors.Kernel.Cgroups;
using Actors.Kernel.Ipc;
using Actors.Kernel.Pid;
using Akka.Actor;

namespace Actors.Kernel.Tasks;

/// <summary>fork/clone3 and unshare: copy_process() as a protocol (PROTOCOLS.md, "clone").</summary>
public sealed partial class TaskActor
{
    private const CloneFlags NewNamespaceFlags =
        CloneFlags.CLONE_NEWPID | CloneFlags.CLONE_NEWIPC | CloneFlags.CLONE_NEWUTS | CloneFlags.CLONE_NEWNS | CloneFlags.CLONE_NEWNET;

    private bool ChildrenInOwnNs => ReferenceEquals(TaskPid.Ns, _proxy!.PidNsForChildren);

    private void StartClone(CloneFlags flags, ImmutableArray<int> setTid)
    {
        var errno = CloneRules.Check(flags, setTid.Length, _unkillable, ChildrenInOwnNs);
        // The model's rule for the 2008 next_id: a clone with both set_tid and pending ids is ambiguous: EINVAL, the
        // slot untouched (the call fails before id allocation).
        if (errno == Errno.None && setTid.Length > 0 && NextId.Peek() is not null)
        {
            errno = Errno.EINVAL;
        }
        if (errno == Errno.None && (flags & CloneFlags.CLONE_NEWPID) != 0)
        {
            errno = CloneRules.CheckNewPid(ChildrenInOwnNs);
        }
        if (errno != Errno.None)
        {
            Finish(SyscallResult.Fail(0, errno));
            return;
        }
        _call!.CloneState = new CloneOp(flags, setTid);
        CopyNamespaces();
    }

    private void StartUnshare(CloneFlags flags)
    {
        // ksys_unshare(): CLONE_VM implies CLONE_SIGHAND implies CLONE_THREAD; CLONE_NEWNS implies CLONE_FS. Then
        // check_unshare_flags(): a flag unshare does not know (CLONE_PARENT) is EINVAL; CLONE_THREAD, SIGHAND or VM
        // need a thread group of one, asked of the task list (thread_group_empty()).
        if ((flags & CloneFlags.CLONE_VM) != 0)
        {
            flags |= CloneFlags.CLONE_SIGHAND;
        }
        if ((flags & CloneFlags.CLONE_SIGHAND) != 0)
        {
            flags |= CloneFlags.CLONE_THREAD;
        }
        if ((flags & CloneFlags.CLONE_NEWNS) != 0)
        {
            flags |= CloneFlags.CLONE_FS;
        }
        if ((flags & CloneFlags.CLONE_PARENT) != 0)
        {
            Finish(SyscallResult.Fail(0, Errno.EINVAL));
            return;
        }
        _call!.CloneState = new CloneOp(flags, []);
        if ((flags & CloneFlags.CLONE_THREAD) != 0)
        {
            _taskList.Tell(new TaskListProtocol.ThreadGroupEmpty(_call.Seq, _record.Id));
            return;
        }
        ContinueUnshare();
    }

    private void HandleThreadGroupEmpty(TaskListProtocol.ThreadGroupEmptyResult m)
    {
        Current(m.Corr);
        if (!m.Empty)
        {
            Finish(SyscallResult.Fail(0, Errno.EINVAL));
            return;
        }
        ContinueUnshare();
    }

    private void ContinueUnshare()
    {
        var flags = _call!.CloneState!.Flags;
        if ((flags & CloneFlags.CLONE_NEWPID) != 0 && CloneRules.CheckNewPid(ChildrenInOwnNs) is var errno and not Errno.None)
        {
            Finish(SyscallResult.Fail(0, errno));
            return;
        }
        if ((flags & NewNamespaceFlags) == 0)
        {
            // unshare_nsproxy_namespaces(): no namespace flag, no new nsproxy (the model's other flags have nothing
            // to unshare: files, fs and sighand are not modelled).
            Finish(SyscallResult.Ok(0, 0));
            return;
        }
        CopyNamespaces();
    }

    /// <summary>copy_namespaces() / unshare_nsproxy_namespaces(): create the new namespaces the flags ask for, one
    /// protocol step each, in create_new_namespaces()'s order (IPC before pid), then go on with the call.</summary>
    private void CopyNamespaces()
    {
        var op = _call!.CloneState!;
        if ((op.Flags & CloneFlags.CLONE_NEWIPC) != 0 && op.NewIpc is null)
        {
            _ctx.View.Kernel.Tell(new KernelProtocol.CreateIpcNamespace(_call.Seq));
            return;
        }
        if ((op.Flags & CloneFlags.CLONE_NEWPID) != 0 && op.NewPidNs is null)
        {
            // copy_pid_ns() -> create_pid_namespace(), a child of pid_ns_for_children.
            _proxy!.PidNsForChildren.NsActor.Tell(new PidNsProtocol.CreateChild(_call.Seq));
            return;
        }
        var pidNs = op.NewPidNs ?? _proxy!.PidNsForChildren;
        if (op.NewPidNs is null && (op.Flags & NewNamespaceFlags) != 0)
        {
            pidNs.Get(); // the new nsproxy's reference on the kept pid namespace
        }
        if (_call.Syscall is Calls.Unshare)
        {
            var old = _proxy!;
            _proxy = NewProxy(pidNs, op.Flags, op.NewIpc);
            old.Put();
            Finish(SyscallResult.Ok(0, 0));
            return;
        }
        ContinueClone(op, pidNs);
    }

    private void HandleIpcNamespaceCreated(KernelProtocol.IpcNamespaceCreated m)
    {
        Current(m.Corr).CloneState!.NewIpc = m.Ns;
        CopyNamespaces();
    }

    private void HandleChildCreated(PidNsProtocol.ChildCreated m)
    {
        var op = Current(m.Corr).CloneState!;
        if (m.Errno != Errno.None)
        {
            op.NewIpc?.Put();
            Finish(SyscallResult.Fail(0, m.Errno));
            return;
        }
        op.NewPidNs = m.Child;
        CopyNamespaces();
    }

    /// <summary>The namespaces are settled: make the child's nsproxy, take the ids (set_tid, or the task's next_id,
    /// consumed here: alloc_pid is reached), check their number, start alloc_pid at the innermost level.</summary>
    private void ContinueClone(CloneOp op, NsHandle target)
    {
        op.Target = target;
        op.ChildProxy = (op.Flags & NewNamespaceFlags) != 0 ? NewProxy(target, op.Flags, op.NewIpc) : _proxy!.Get();
        if (NextId.Take() is { } ids)
        {
            // next_id ids are longs; one beyond int range can only be >= pid_max: EINVAL at its level, as set_tid.
            op.SetTid = [.. ids.Select(id => (int)Math.Min(id, int.MaxValue))];
        }
        // alloc_pid(): "if (set_tid_size > ns->level + 1) goto out" with -EINVAL
        if (op.SetTid.Length > target.Level + 1)
        {
            FailClone(op, Errno.EINVAL);
            return;
        }
        op.Numbers = new UPid[target.Level + 1];
        op.Level = target.Level;
        ReserveNext(op);
    }

    private void ReserveNext(CloneOp op)
    {
        var index = op.Target!.Level - op.Level;
        int? requested = index < op.SetTid.Length ? op.SetTid[index] : null;
        op.Target.AtLevel(op.Level).PidMap.Tell(new PidMapProtocol.Reserve(_call!.Seq, requested));
    }

    private void HandleReserved(PidMapProtocol.Reserved m)
    {
        var op = Current(m.Corr).CloneState!;
        if (m.Errno != Errno.None)
        {
            // alloc_pid() out_free: give back the inner levels already reserved (innermost first).
            if (op.Level < op.Target!.Level)
            {
                ReleaseThenFail(op, op.Level + 1, m.Errno);
            }
            else
            {
                FailClone(op, m.Errno);
            }
            return;
        }
        op.Numbers![op.Level] = new UPid(m.Nr, op.Target!.AtLevel(op.Level));
        if (op.Level > 0)
        {
            op.Level--;
            ReserveNext(op);
            return;
        }
        // Every level has a number: make the pid visible, outermost level first (PROTOCOLS.md explains the order).
        op.Pid = new Pid.Pid(_ctx.NewPidId(), [.. op.Numbers]);
        op.Numbers[0].Ns.PidMap.Tell(new PidMapProtocol.Commit(_call!.Seq, op.Pid, 0, Self));
    }

    private void HandleCommitted(PidMapProtocol.Committed m)
    {
        var op = Current(m.Corr).CloneState!;
        if (m.Errno != Errno.None)
        {
            ReleaseThenFail(op, 0, m.Errno);
            return;
        }
        if (_ctx.Settings.Cgroup.Enabled)
        {
            // cgroup_can_fork(): the rwsem for read, the css_set, the pids charge (PROTOCOLS.md, "cgroups").
            _ctx.View.CgroupCoreActor.Tell(new CgroupProtocol.CanFork(_call!.Seq, _record.Id, Self));
            return;
        }
        Attach(op);
    }

    private void Attach(CloneOp op) =>
        _taskList.Tell(new TaskListProtocol.Attach(_call!.Seq, _record.Id, op.Pid!, op.Flags, op.ChildProxy!));

    private void HandleForkAdmitted(CgroupProtocol.ForkAdmitted m)
    {
        var op = Current(m.Corr).CloneState!;
        if (m.Errno != Errno.None)
        {
            // Refused by a controller (pids: EAGAIN); the levels are reverted, the rwsem goes, then the numbers (a new
            // namespace whose first pid this was dies: later forks into it fail ENOMEM).
            _ctx.View.CgroupCoreActor.Tell(new CgroupProtocol.CancelFork(m.Ticket, Uncharge: false));
            ReleaseThenFail(op, 0, m.Errno);
            return;
        }
        op.Ticket = m.Ticket;
        Attach(op);
    }

    private void HandleAttached(TaskListProtocol.Attached m)
    {
        var op = Current(m.Corr).CloneState!;
        if (m.Errno != Errno.None)
        {
            if (op.Ticket is { } ticket)
            {
                _ctx.View.CgroupCoreActor.Tell(new CgroupProtocol.CancelFork(ticket, Uncharge: true));
            }
            ReleaseThenFail(op, 0, m.Errno);
            return;
        }
        if (op.Ticket is { } t)
        {
            var leader = m.Child!.Group.Leader;
            _ctx.View.CgroupCoreActor.Tell(new CgroupProtocol.PostFork(t, m.Child.Id, m.Child.Pid, leader.Id, leader.Pid));
        }
        // fork returns the child's number in the parent's active namespace (pid_vnr()).
        Finish(SyscallResult.Ok(0, op.Pid!.NrIn(TaskPid.Ns)) with { NewTask = m.Child });
    }

    private void FailClone(CloneOp op, Errno errno)
    {
        // The child's nsproxy holds every reference this clone took (a new namespace dies with it).
        op.ChildProxy?.Put();
        Finish(SyscallResult.Fail(0, errno));
    }

    /// <summary>Releases numbers[innermost .. stopLevel], innermost first, along the pid maps; the call fails with
    /// <paramref name="errno"/> once the last one is free (as alloc_pid() frees before copy_process() puts the
    /// namespaces, so a new namespace never dies holding numbers).</summary>
    private void ReleaseThenFail(CloneOp op, int stopLevel, Errno errno)
    {
        var numbers = op.Numbers!;
        var innermost = numbers.Length - 1;
        numbers[innermost].Ns.PidMap.Tell(new PidMapProtocol.Release(numbers, innermost, stopLevel, Self, new NumbersReleased(_call!.Seq, errno)));
    }

    private void HandleNumbersReleased(NumbersReleased m) => FailClone(Current(m.Corr).CloneState!, m.Errno);

    /// <summary>The numbers of a failed clone are free again.</summary>
    private sealed record NumbersReleased(long Corr, Errno Errno);

    /// <summary>A new nsproxy for <paramref name="pidNs"/> (reference held by the caller) with a new IPC namespace
    /// when given and new identities for the other CLONE_NEW* flags.</summary>
    private NsProxy NewProxy(NsHandle pidNs, CloneFlags flags, IpcNsHandle? newIpc) => _proxy!.With(
        pidNs,
        ipc: newIpc,
        uts: (flags & CloneFlags.CLONE_NEWUTS) != 0 ? _ctx.NewNsId() : null,
        mnt: (flags & CloneFlags.CLONE_NEWNS) != 0 ? _ctx.NewNsId() : null,
        net: (flags & CloneFlags.CLONE_NEWNET) != 0 ? _ctx.NewNsId() : null);

    private InFlight Current(long seq) => _call is not null && _call.Seq == seq
        ? _call
        : throw new InvalidOperationException($"task {_record.Id}: stray protocol reply for call {seq}");

    /// <summary>A clone or unshare in progress.</summary>
    private sealed class CloneOp(CloneFlags flags, ImmutableArray<int> setTid)
    {
        public CloneFlags Flags { get; } = flags;
        public ImmutableArray<int> SetTid { get; set; } = setTid;
        public IpcNsHandle? NewIpc { get; set; }
        public NsHandle? NewPidNs { get; set; }
        public NsHandle? Target { get; set; }
        public NsProxy? ChildProxy { get; set; }
        public UPid[]? Numbers { get; set; }
        public int Level { get; set; }
        public Pid.Pid? Pid { get; set; }
        public ForkTicket? Ticket { get; set; }
    }
}
