using Actors.Kernel.Ipc;
using Actors.Kernel.Pid;
using Akka.Actor;
using static Actors.Kernel.Tasks.TaskProtocol;

namespace Actors.Kernel.Tasks;

/// <summary>One task (thread): it makes one system call at a time, running each as a protocol of messages to the
/// actors that own the state the call touches.</summary>
/// <remarks>
/// Linux: the thread of execution of a <c>struct task_struct</c> and what it owns without tasklist_lock: its pid (and
/// through it its active pid namespace), its tgid's pid, its nsproxy (task_lock), SIGNAL_UNKILLABLE as it was at
/// creation. Its place in the process tree belongs to the <see cref="TaskList"/>. Protocols: src/Actors.Kernel/PROTOCOLS.md.
/// </remarks>
public sealed partial class TaskActor : UntypedActor
{
    private readonly KernelContext _ctx;
    private readonly TaskRecord _record;
    private readonly IActorRef _taskList;
    private readonly bool _unkillable;
    private NsProxy? _proxy;
    private InFlight? _call;
    private long _seq;
    private bool _exiting;
    private bool _fatal;

    public TaskActor(KernelContext ctx, TaskRecord record, NsProxy proxy, IActorRef taskList)
    {
        _ctx = ctx;
        _record = record;
        _taskList = taskList;
        _unkillable = record.Group.Unkillable;
        _proxy = proxy;
    }

    // Read from the record, not copied into fields (8 bytes each, of every task): the record's pid and next_id slot
    // never change, nor does its group's leader once the task exists (the model has no exec, hence no de_thread()).

    /// <summary>The task's pid.</summary>
    private Pid.Pid TaskPid => _record.Pid;

    /// <summary>Its thread group leader's pid (the tgid's).</summary>
    private Pid.Pid LeaderPid => _record.Group.Leader.Pid;

    /// <summary>Its next_id slot (shared by its process's threads under next-id-scope = process).</summary>
    private NextIdSlot NextId => _record.NextId;

    /// <summary>One switch instead of a handler table: a task actor is created per fork, and building ReceiveActor's
    /// table per instance was a fifth of fork's cost (measured in perf/).</summary>
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Call m:
                HandleCall(m);
                break;
            case Die:
                HandleDie();
                break;
            case WaitDone m:
                Reply(m.Corr, m.Result.Dead
                    ? SyscallResult.Died(0)
                    : m.Result.Errno == Errno.None ? SyscallResult.Ok(0, m.Result.Value) : SyscallResult.Fail(0, m.Result.Errno));
                break;
            case TaskListProtocol.Result m:
                Reply(m.Corr, m.Text is not null
                    ? SyscallResult.String(0, m.Text)
                    : m.Errno == Errno.None ? SyscallResult.Ok(0, m.Value) : SyscallResult.Fail(0, m.Errno));
                break;
            case PidMapProtocol.Reserved m:
                HandleReserved(m);
                break;
            case PidMapProtocol.Committed m:
                HandleCommitted(m);
                break;
            case TaskListProtocol.Attached m:
                HandleAttached(m);
                break;
            case TaskListProtocol.ThreadGroupEmptyResult m:
                HandleThreadGroupEmpty(m);
                break;
            case PidMapProtocol.SysctlResult m:
                HandleSysctlResult(m);
                break;
            case PidNsProtocol.ChildCreated m:
                HandleChildCreated(m);
                break;
            case NumbersReleased m:
                HandleNumbersReleased(m);
                break;
            case KernelProtocol.IpcNamespaceCreated m:
                HandleIpcNamespaceCreated(m);
                break;
            case IpcProtocol.Result m:
                HandleIpcResult(m);
                break;
            case GetIpcNs m:
                Sender.Tell(new IpcNsOf(m.Corr, _proxy?.IpcNs.Get()));
                break;
            case IpcNsOf m:
                HandleIpcNsOf(m);
                break;
            case Cgroups.CgroupProtocol.ForkAdmitted m:
                HandleForkAdmitted(m);
                break;
            case Cgroups.CgroupProtocol.Result m:
                Reply(m.Corr, m.Text is not null
                    ? SyscallResult.String(0, m.Text)
                    : m.Errno == Errno.None ? SyscallResult.Ok(0, 0) : SyscallResult.Fail(0, m.Errno));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    public static Props Props(KernelContext ctx, TaskRecord record, NsProxy proxy, IActorRef taskList) =>
        ActorFactory.Props((ctx, record, proxy, taskList), static a => new TaskActor(a.ctx, a.record, a.proxy, a.taskList))
            .WithDispatcher(ctx.Settings.Dispatcher);

    private void HandleCall(Call m)
    {
        if (_exiting)
        {
            Sender.Tell(SyscallResult.Died(m.Corr));
            return;
        }
        if (_call is not null)
        {
            throw new InvalidOperationException($"task {_record.Id} got {m.Syscall} while still in {_call.Syscall}");
        }
        _call = new InFlight(m.Corr, m.Syscall, Sender, ++_seq);
        var seq = _call.Seq;
        switch (m.Syscall)
        {
            case Calls.GetPid:
                Finish(SyscallResult.Ok(0, LeaderPid.NrIn(TaskPid.Ns)));
                break;
            case Calls.GetTid:
                Finish(SyscallResult.Ok(0, TaskPid.Numbers[^1].Nr));
                break;
            case Calls.GetPpid:
                _taskList.Tell(new TaskListProtocol.GetPpid(seq, _record.Id));
                break;
            case Calls.Kill k:
                _taskList.Tell(new TaskListProtocol.Kill(seq, _record.Id, k.Pid, k.Signal));
                break;
            case Calls.Wait w:
                _taskList.Tell(new TaskListProtocol.Wait(seq, _record.Id, w.Pid, w.NoHang));
                break;
            case Calls.SetChildSubreaper s:
                _taskList.Tell(new TaskListProtocol.SetChildSubreaper(seq, _record.Id, s.Value != 0));
                break;
            case Calls.Read r:
                StartRead(r.Path);
                break;
            case Calls.Write w:
                StartWrite(w.Path, w.Value);
                break;
            case Calls.Mkdir d:
                CgroupFile(Cgroups.CgroupFileOp.Mkdir, d.Path, null);
                break;
            case Calls.Rmdir d:
                CgroupFile(Cgroups.CgroupFileOp.Rmdir, d.Path, null);
                break;
            case Calls.Exit e:
                Finish(SyscallResult.Ok(0, 0));
                BeginExit(e.Group);
                break;
            case Calls.Fork:
                StartClone(CloneFlags.None, []);
                break;
            case Calls.Clone c:
                StartClone(c.Flags, c.SetTid);
                break;
            case Calls.Unshare u:
                StartUnshare(u.Flags);
                break;
            case Calls.Setns s:
                Setns(s);
                break;
            case Calls.IpcGet g:
                // ipc_addid() takes the caller's next_id (the first id is the whole IPC id); whether it was consumed
                // comes back with the result.
                _call.RequestedIds = NextId.Peek();
                _proxy!.IpcNs.Actor.Tell(new IpcProtocol.Get(seq, g.Type, g.Key, g.Flags, g.Arg, _call.RequestedIds?[0]));
                break;
            case Calls.IpcRemove r:
                _proxy!.IpcNs.Actor.Tell(new IpcProtocol.Remove(seq, r.Type, r.Id));
                break;
            default:
                throw new InvalidOperationException($"unknown system call {m.Syscall}");
        }
    }

    private void HandleDie()
    {
        if (_exiting)
        {
            return;
        }
        if (_call is not null)
        {
            _fatal = true; // exits when the call in progress ends
            return;
        }
        BeginExit(group: false);
    }

    /// <summary>do_exit(): exit_task_namespaces() (the nsproxy goes now; the pid, and with it the namespace, stays
    /// until reaped), then exit_notify() in the task list.</summary>
    private void BeginExit(bool group)
    {
        _exiting = true;
        _proxy?.Put();
        _proxy = null;
        var notify = new TaskListProtocol.ExitNotify(_record.Id, group);
        if (_ctx.Settings.Cgroup.Enabled)
        {
            // cgroup_exit() comes before exit_notify(): the core forwards the notification.
            _ctx.View.CgroupCoreActor.Tell(new Cgroups.CgroupProtocol.Exit(_record.Id, notify, _taskList));
            return;
        }
        _taskList.Tell(notify);
    }

    private void Setns(Calls.Setns s)
    {
        // sys_setns() -> pidns_install(): /proc/PID/ns/pid of a reaped task cannot be opened (ENOENT); the type must
        // match (nstype 0 or CLONE_NEWPID); the target must be the caller's active namespace or a descendant.
        if (s.Target is null)
        {
            Finish(SyscallResult.Fail(0, Errno.ENOENT));
            return;
        }
        if (s.Flags == CloneFlags.CLONE_NEWIPC)
        {
            // open("/proc/PID/ns/ipc"): ipcns_get() reads the target's nsproxy under its task_lock.
            s.Target.Actor.Tell(new GetIpcNs(_call!.Seq));
            return;
        }
        if (s.Flags != CloneFlags.None && s.Flags != CloneFlags.CLONE_NEWPID)
        {
            Finish(SyscallResult.Fail(0, Errno.EINVAL));
            return;
        }
        var target = s.Target.Pid.Ns;
        if (!TaskPid.Ns.IsAncestorOrSelfOf(target))
        {
            Finish(SyscallResult.Fail(0, Errno.EINVAL));
            return;
        }
        target.Get();
        var old = _proxy!;
        _proxy = old.With(target);
        old.Put();
        Finish(SyscallResult.Ok(0, 0));
    }

    private void HandleIpcNsOf(IpcNsOf m)
    {
        Current(m.Corr);
        if (m.Ns is null)
        {
            Finish(SyscallResult.Fail(0, Errno.ENOENT)); // the target released its nsproxy (it is exiting)
            return;
        }
        // ipcns_install(): the new nsproxy gets the target's IPC namespace.
        var old = _proxy!;
        old.PidNsForChildren.Get();
        _proxy = new NsProxy(old.PidNsForChildren, m.Ns, old.UtsNs, old.MntNs, old.NetNs);
        old.Put();
        Finish(SyscallResult.Ok(0, 0));
    }

    private void HandleIpcResult(IpcProtocol.Result m)
    {
        var call = Current(m.Corr);
        if (m.RequestedIdConsumed && call.RequestedIds is { } ids)
        {
            NextId.ClearIf(ids);
        }
        if (m.Errno != Errno.None)
        {
            Finish(SyscallResult.Fail(0, m.Errno));
            return;
        }
        Finish(call.Syscall is Calls.Read
            ? SyscallResult.String(0, m.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n")
            : SyscallResult.Ok(0, m.Value));
    }

    private void Reply(long seq, SyscallResult result)
    {
        if (_call is null || _call.Seq != seq)
        {
            throw new InvalidOperationException($"task {_record.Id}: stray reply {result} for call {seq}");
        }
        Finish(result);
    }

    /// <summary>Ends the call in progress: replies to the caller (or "dead" if a fatal signal arrived meanwhile).</summary>
    private void Finish(SyscallResult result)
    {
        var call = _call!;
        _call = null;
        if (_fatal || result.Dead)
        {
            call.ReplyTo.Tell(SyscallResult.Died(call.Corr));
            if (!_exiting)
            {
                BeginExit(group: false);
            }
            return;
        }
        call.ReplyTo.Tell(result with { Corr = call.Corr });
    }

    private sealed record InFlight(long Corr, Syscall Syscall, IActorRef ReplyTo, long Seq)
    {
        /// <summary>State of a clone in progress.</summary>
        public CloneOp? CloneState { get; set; }

        /// <summary>The next_id ids an IPC creation offered (cleared from the slot if it consumed them).</summary>
        public long[]? RequestedIds { get; set; }
    }
}
