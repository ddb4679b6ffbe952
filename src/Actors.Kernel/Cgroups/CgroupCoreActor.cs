using Akka.Actor;
using static Actors.Kernel.Cgroups.CgroupProtocol;

namespace Actors.Kernel.Cgroups;

/// <summary>The actor that owns the <see cref="CgroupCore"/>: each message is one hold of cgroup_mutex and/or
/// css_set_lock; the cgroup_threadgroup_rwsem is state of the core, held across messages by forks. The cgroup actors
/// are its children (<c>cg&lt;id&gt;</c>).</summary>
public sealed class CgroupCoreActor : UntypedActor, ICgroupOutbox
{
    private readonly KernelContext _ctx;
    private readonly CgroupCore _core;
    private readonly Dictionary<int, Exit> _earlyExits = [];

    public CgroupCoreActor(KernelContext ctx, int initId, Pid.Pid initPid)
    {
        _ctx = ctx;
        var s = ctx.Settings.Cgroup;
        _core = new CgroupCore(this, s.Subsystems, s.V1, s.V2, s.ReleaseAgent, forkUnlocked: ctx.Settings.Break == ModelBreak.CgroupForkUnlocked);
        ctx.View.Cgroups = _core;
        _core.Boot(initId, initPid);
    }

    public static Props Props(KernelContext ctx, int initId, Pid.Pid initPid) =>
        ActorFactory.Props((ctx, initId, initPid), static a => new CgroupCoreActor(a.ctx, a.initId, a.initPid))
            .WithDispatcher(ctx.Settings.Dispatcher);

    protected override SupervisorStrategy SupervisorStrategy() => _ctx.Supervision();

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case CanFork m:
                Admitted(m, CgroupLockUse.Reader);
                break;
            case CgroupProtocol.File m:
                Admitted(m, CgroupCore.LockFor(m.Op, m.Path.Components.LastOrDefault()));
                break;
            case PostFork m:
                _core.PostFork(m.Ticket, m.ChildId, m.ChildPid, m.LeaderId, m.LeaderPid);
                _core.ReleaseReader(m.Ticket);
                if (_earlyExits.Remove(m.ChildId, out var early))
                {
                    ExitTask(early);
                }
                Drain();
                break;
            case CancelFork m:
                if (m.Uncharge)
                {
                    foreach (var level in m.Ticket.Chain)
                    {
                        level.Actor.Tell(new Adjust(level.Subsystem, -1));
                    }
                }
                _core.ReleaseReader(m.Ticket);
                Drain();
                break;
            case Exit m when !_core.Knows(m.TaskId):
                // Killed between its attach and its parent's post_fork: on Linux it would not run before
                // wake_up_new_task(), after cgroup_post_fork(); its exit waits for the PostFork.
                _earlyExits.Add(m.TaskId, m);
                break;
            case Exit m:
                ExitTask(m);
                break;
            case Release m:
                _core.Release(m.TaskId);
                break;
            case ReadReleaseAgentCalls m:
                var (text, errno) = _core.ReleaseAgentCalls(m.Hierarchy);
                m.ReplyTo.Tell(new Result(m.Corr, text, errno));
                break;
            default:
                Unhandled(message);
                return;
        }
        if (_ctx.Settings.CheckInvariants)
        {
            _core.CheckInvariants();
        }
    }

    private void ExitTask(Exit m)
    {
        _core.Exit(m.TaskId);
        m.ThenTo.Tell(m.Then);
    }

    private void Admitted(object request, CgroupLockUse use)
    {
        if (!_core.Admit(use))
        {
            _core.Defer(request, use);
            return;
        }
        Run(request);
    }

    /// <summary>Runs the requests that waited for the rwsem or cgroup_mutex, in arrival order, as far as they can.</summary>
    private void Drain()
    {
        while (_core.NextRunnable() is { } request)
        {
            Run(request);
        }
    }

    private void Run(object request)
    {
        switch (request)
        {
            case CanFork m:
                var ticket = _core.CanFork(m.TaskId);
                if (ticket.Chain.IsEmpty)
                {
                    m.ReplyTo.Tell(new ForkAdmitted(m.Corr, ticket, Errno.None));
                }
                else
                {
                    ticket.Chain[0].Actor.Tell(new Charge(m.Corr, ticket, 0, m.ReplyTo));
                }
                break;
            case CgroupProtocol.File m:
                RunFile(m);
                break;
        }
    }

    private void RunFile(CgroupProtocol.File m)
    {
        switch (m.Op)
        {
            case CgroupFileOp.Mkdir:
                m.ReplyTo.Tell(new Result(m.Corr, null, _core.Mkdir(m.Path)));
                return;
            case CgroupFileOp.Rmdir:
                m.ReplyTo.Tell(new Result(m.Corr, null, _core.Rmdir(m.Path)));
                return;
        }
        var (dir, file, errno) = _core.Resolve(m.Path);
        if (errno == Errno.None && file is null)
        {
            errno = Errno.EISDIR;
        }
        if (errno != Errno.None)
        {
            m.ReplyTo.Tell(new Result(m.Corr, null, errno));
            return;
        }
        if (m.Op == CgroupFileOp.Write && string.IsNullOrEmpty(m.Value))
        {
            // kernfs: a write of no bytes succeeds without reaching the file's handler.
            m.ReplyTo.Tell(new Result(m.Corr, null, Errno.None));
            return;
        }
        if (CgroupCore.FileOwner(dir!, file!) is { } owner)
        {
            dir!.Actor.Tell(new CssFile(m.Corr, m.Op, owner.Name, file!, m.Value, m.ReplyTo));
            return;
        }
        if (m.Op == CgroupFileOp.Read)
        {
            var (text, e) = _core.ReadFile(dir!, file!, m.Ns);
            m.ReplyTo.Tell(new Result(m.Corr, text, e));
            return;
        }
        m.ReplyTo.Tell(new Result(m.Corr, null, _core.WriteFile(dir!, file!, m.Value ?? "", m.TaskId, m.Ns)));
    }

    void ICgroupOutbox.CreateActor(Cgroup cgroup, IReadOnlyList<CgroupSubsystem> subsystems) =>
        cgroup.Actor = Context.ActorOf(CgroupActor.Props(_ctx, cgroup, subsystems), $"cg{cgroup.Id}");

    // A PoisonPill, not Context.Stop: it is ordered after the charges already sent to the actor.
    void ICgroupOutbox.StopActor(Cgroup cgroup) => cgroup.Actor.Tell(PoisonPill.Instance);

    void ICgroupOutbox.Adjust(Cgroup cgroup, CgroupSubsystem subsystem, long delta) =>
        cgroup.Actor.Tell(new Adjust(subsystem.Name, delta));

    void ICgroupOutbox.EnableCss(Cgroup cgroup, CgroupSubsystem subsystem, long tasks) =>
        cgroup.Actor.Tell(new EnableCss(subsystem.Name, tasks));

    void ICgroupOutbox.DisableCss(Cgroup cgroup, CgroupSubsystem subsystem) =>
        cgroup.Actor.Tell(new DisableCss(subsystem.Name));
}
