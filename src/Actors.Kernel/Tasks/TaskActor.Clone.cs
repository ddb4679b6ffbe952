using System.Collections.Immutable;
using Actors.Kernel.Pid;
using Akka.Actor;

namespace Actors.Kernel.Tasks;

/// <summary>fork/clone3 and unshare: copy_process() as a protocol (PROTOCOLS.md, "clone").</summary>
public sealed partial class TaskActor
{
    private const CloneFlags NewNamespaceFlags =
        CloneFlags.CLONE_NEWPID | CloneFlags.CLONE_NEWIPC | CloneFlags.CLONE_NEWUTS | CloneFlags.CLONE_NEWNS | CloneFlags.CLONE_NEWNET;

    private bool ChildrenInOwnNs => ReferenceEquals(_pid.Ns, _proxy!.PidNsForChildren);

    private void StartClone(CloneFlags flags, ImmutableArray<int> setTid)
    {
        var errno = CloneRules.Check(flags, setTid.Length, _unkillable, ChildrenInOwnNs);
        if (errno == Errno.None && (flags & CloneFlags.CLONE_NEWPID) != 0)
        {
            errno = CloneRules.CheckNewPid(ChildrenInOwnNs);
        }
        if (errno != Errno.None)
        {
            Finish(SyscallResult.Fail(0, errno));
            return;
        }
        var op = new CloneOp(flags, setTid);
        _call!.CloneState = op;
        if ((flags & CloneFlags.CLONE_NEWPID) != 0)
        {
            // copy_namespaces() -> copy_pid_ns() -> create_pid_namespace()
            _proxy!.PidNsForChildren.NsActor.Tell(new PidNsProtocol.CreateChild(_call.Seq));
            return;
        }
        var target = _proxy!.PidNsForChildren;
        if ((flags & NewNamespaceFlags) != 0)
        {
            target.Get();
        }
        ContinueClone(op, target);
    }

    private void StartUnshare(CloneFlags flags)
    {
        if ((flags & CloneFlags.CLONE_NEWPID) == 0)
        {
            ReplaceProxy(_proxy!.PidNsForChildren, flags, getPidNs: true);
            Finish(SyscallResult.Ok(0, 0));
            return;
        }
        var errno = CloneRules.CheckNewPid(ChildrenInOwnNs);
        if (errno != Errno.None)
        {
            Finish(SyscallResult.Fail(0, errno));
            return;
        }
        _proxy!.PidNsForChildren.NsActor.Tell(new PidNsProtocol.CreateChild(_call!.Seq));
    }

    private void HandleChildCreated(PidNsProtocol.ChildCreated m)
    {
        var call = Current(m.Corr);
        if (m.Errno != Errno.None)
        {
            Finish(SyscallResult.Fail(0, m.Errno));
            return;
        }
        if (call.Syscall is Calls.Unshare u)
        {
            // The new namespace's first reference belongs to the new nsproxy.
            ReplaceProxy(m.Child!, u.Flags, getPidNs: false);
            Finish(SyscallResult.Ok(0, 0));
            return;
        }
        ContinueClone(call.CloneState!, m.Child!);
    }

    /// <summary>The namespaces are settled (the caller holds one reference on <paramref name="target"/> for the child's
    /// new nsproxy if it gets one): make the child's nsproxy, check set_tid_size, start alloc_pid at the innermost level.</summary>
    private void ContinueClone(CloneOp op, NsHandle target)
    {
        op.Target = target;
        op.ChildProxy = (op.Flags & NewNamespaceFlags) != 0 ? NewProxy(target, op.Flags) : _proxy!.Get();
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
        _taskList.Tell(new TaskListProtocol.Attach(_call!.Seq, _record.Id, op.Pid!, op.Flags, op.ChildProxy!));
    }

    private void HandleAttached(TaskListProtocol.Attached m)
    {
        var op = Current(m.Corr).CloneState!;
        if (m.Errno != Errno.None)
        {
            ReleaseThenFail(op, 0, m.Errno);
            return;
        }
        // fork returns the child's number in the parent's active namespace (pid_vnr()).
        Finish(SyscallResult.Ok(0, op.Pid!.NrIn(_pid.Ns)) with { NewTask = m.Child });
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

    private NsProxy NewProxy(NsHandle pidNs, CloneFlags flags) => _proxy!.With(
        pidNs,
        ipc: (flags & CloneFlags.CLONE_NEWIPC) != 0 ? _ctx.NewNsId() : null,
        uts: (flags & CloneFlags.CLONE_NEWUTS) != 0 ? _ctx.NewNsId() : null,
        mnt: (flags & CloneFlags.CLONE_NEWNS) != 0 ? _ctx.NewNsId() : null,
        net: (flags & CloneFlags.CLONE_NEWNET) != 0 ? _ctx.NewNsId() : null);

    private void ReplaceProxy(NsHandle pidNs, CloneFlags flags, bool getPidNs)
    {
        if (getPidNs)
        {
            pidNs.Get();
        }
        var old = _proxy!;
        _proxy = NewProxy(pidNs, flags);
        old.Put();
    }

    private InFlight Current(long seq) => _call is not null && _call.Seq == seq
        ? _call
        : throw new InvalidOperationException($"task {_record.Id}: stray protocol reply for call {seq}");

    /// <summary>A clone in progress.</summary>
    private sealed class CloneOp(CloneFlags flags, ImmutableArray<int> setTid)
    {
        public CloneFlags Flags { get; } = flags;
        public ImmutableArray<int> SetTid { get; } = setTid;
        public NsHandle? Target { get; set; }
        public NsProxy? ChildProxy { get; set; }
        public UPid[]? Numbers { get; set; }
        public int Level { get; set; }
        public Pid.Pid? Pid { get; set; }
    }
}
