using Actors.Kernel.Pid;
using Akka.Actor;
using static Actors.Kernel.Tasks.TaskListProtocol;

namespace Actors.Kernel.Tasks;

/// <summary>The actor that owns the <see cref="TaskList"/>: each message is one hold of tasklist_lock. Task actors
/// are its children (<c>t&lt;id&gt;</c>).</summary>
public sealed class TaskListActor : UntypedActor, ITaskListOutbox
{
    private readonly KernelContext _ctx;
    private readonly TaskList _list;

    public TaskListActor(KernelContext ctx)
    {
        _ctx = ctx;
        _list = new TaskList(this, freePidAtExit: ctx.Settings.Break == ModelBreak.FreePidAtExit);
        ctx.View.Tasks = _list;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Adopt m:
                HandleAdopt(m);
                break;
            case Attach m:
                HandleAttach(m);
                break;
            case ExitNotify m:
                _list.Exit(Task(m.TaskId), m.Group);
                CheckIfEnabled();
                break;
            case NamespaceEmptied m:
                _list.NamespaceEmptied(Task(m.InitId));
                CheckIfEnabled();
                break;
            case TaskListProtocol.Wait m:
                HandleWait(m);
                break;
            case CancelWait m:
                _list.CancelWait(Task(m.TaskId));
                CheckIfEnabled();
                break;
            case TaskListProtocol.Kill m:
                Reply(m.Corr, 0, _list.Kill(Task(m.TaskId), m.Pid, m.Signal));
                break;
            case TaskListProtocol.GetPpid m:
                Reply(m.Corr, _list.GetPpid(Task(m.TaskId)), Errno.None);
                break;
            case TaskListProtocol.SetChildSubreaper m:
                _list.SetChildSubreaper(Task(m.TaskId), m.On);
                Reply(m.Corr, 0, Errno.None);
                break;
            case ThreadGroupEmpty m:
                Sender.Tell(new ThreadGroupEmptyResult(m.Corr, _list.ThreadGroupEmpty(Task(m.TaskId))));
                CheckIfEnabled();
                break;
            case ReadStatus m:
                HandleReadStatus(m);
                break;
            case ReadNextId m:
                HandleReadNextId(m);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override SupervisorStrategy SupervisorStrategy() => _ctx.Supervision();

    public static Props Props(KernelContext ctx) =>
        ActorFactory.Props(ctx, static ctx => new TaskListActor(ctx)).WithDispatcher(ctx.Settings.Dispatcher);

    void ITaskListOutbox.KillThread(TaskRecord thread) => thread.Actor.Tell(TaskProtocol.Die.Instance);

    void ITaskListOutbox.FreeNumbers(TaskRecord task)
    {
        var numbers = task.Pid.Numbers;
        numbers[^1].Ns.PidMap.Tell(new PidMapProtocol.Release(numbers, numbers.Length - 1, 0, null, null));
    }

    void ITaskListOutbox.Release(TaskRecord task, WaitCompletion? completion)
    {
        if (_ctx.Settings.Cgroup.Enabled)
        {
            // release_task() -> cgroup_release(): the task leaves its css_set, pids uncharges it.
            _ctx.View.CgroupCoreActor.Tell(new Cgroups.CgroupProtocol.Release(task.Id));
        }
        if (task.NumbersFreed)
        {
            if (completion is not null)
            {
                ((ITaskListOutbox)this).CompleteWait(completion);
            }
            Context.Stop(task.Actor);
            return;
        }
        var numbers = task.Pid.Numbers;
        numbers[^1].Ns.PidMap.Tell(new PidMapProtocol.Release(
            numbers, numbers.Length - 1, 0,
            completion?.Waiter.Actor,
            completion is null ? null : new TaskProtocol.WaitDone(completion.Corr, completion.Result)));
        Context.Stop(task.Actor);
    }

    void ITaskListOutbox.CompleteWait(WaitCompletion completion) =>
        completion.Waiter.Actor.Tell(new TaskProtocol.WaitDone(completion.Corr, completion.Result));

    void ITaskListOutbox.DisableAllocation(NsHandle ns) => ns.PidMap.Tell(PidMapProtocol.DisableAllocation.Instance);

    void ITaskListOutbox.WaitForCount(NsHandle ns, int count, TaskRecord init) =>
        ns.PidMap.Tell(new PidMapProtocol.NotifyWhenCount(count, Self, new NamespaceEmptied(init.Id)));

    void ITaskListOutbox.SetChildReaper(NsHandle ns) => ns.PidMap.Tell(PidMapProtocol.SetChildReaper.Instance);

    private void HandleAdopt(Adopt m)
    {
        var init = _list.Boot(m.TaskId, m.Pid);
        init.Actor = Context.ActorOf(TaskActor.Props(_ctx, init, m.Proxy, Self), $"t{init.Id}");
        m.ReplyTo.Tell(new KernelProtocol.Booted(init));
        CheckIfEnabled();
    }

    private void HandleAttach(Attach m)
    {
        var errno = _list.Attach(Task(m.ForkerId), _ctx.NewTaskId(), m.Pid, m.Flags, out var child,
            shareNextId: _ctx.Settings.NextIdScope == NextIdScope.Process);
        if (child is not null)
        {
            child.Actor = Context.ActorOf(TaskActor.Props(_ctx, child, m.ChildProxy, Self), $"t{child.Id}");
        }
        Sender.Tell(new Attached(m.Corr, child, errno));
        CheckIfEnabled();
    }

    private void HandleWait(TaskListProtocol.Wait m)
    {
        var now = _list.Wait(Task(m.TaskId), m.Corr, m.Selector, m.NoHang);
        if (now is not null)
        {
            ((ITaskListOutbox)this).CompleteWait(now);
        }
        CheckIfEnabled();
    }

    private void HandleReadStatus(ReadStatus m)
    {
        var caller = Task(m.TaskId);
        var root = _ctx.View.RootNs!;
        var t = m.Self ? (m.Thread ? caller : caller.Group.Leader) : _list.Find(root, m.RootTid);
        // /proc/PID/task/TID: TID must be a thread of PID's group.
        if (t is not null && !m.Self && m.RootPid != 0 && t.Group.Leader.Pid.NrIn(root) != m.RootPid)
        {
            t = null;
        }
        var text = t is null ? null : _list.Status(t, root);
        Sender.Tell(text is null ? new Result(m.Corr, -1, Errno.ENOENT, null) : new Result(m.Corr, 0, Errno.None, text));
    }

    private void HandleReadNextId(ReadNextId m)
    {
        var root = _ctx.View.RootNs!;
        var t = _list.Find(root, m.RootTid);
        // /proc/PID/next_id (RootPid 0 in the request means "TID is the process") or /proc/PID/task/TID/next_id.
        var groupOk = t is not null && (m.Process ? t.IsLeader : t.Group.Leader.Pid.NrIn(root) == m.RootPid);
        Sender.Tell(groupOk
            ? new Result(m.Corr, 0, Errno.None, t!.NextId.Read() is { Length: > 0 } text ? text + "\n" : "")
            : new Result(m.Corr, -1, Errno.ENOENT, null));
    }

    private TaskRecord Task(int id) => _list.Tasks.TryGetValue(id, out var t)
        ? t
        : throw new InvariantViolationException($"task {id} is not in the task list");

    private void Reply(long corr, long value, Errno errno)
    {
        Sender.Tell(new Result(corr, errno == Errno.None ? value : -1, errno, null));
        CheckIfEnabled();
    }

    private void CheckIfEnabled()
    {
        if (_ctx.Settings.CheckInvariants)
        {
            _list.CheckInvariants();
        }
    }
}
