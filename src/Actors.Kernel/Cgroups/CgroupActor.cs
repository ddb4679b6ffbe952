using Akka.Actor;
using static Actors.Kernel.Cgroups.CgroupProtocol;

namespace Actors.Kernel.Cgroups;

/// <summary>One cgroup's controller states (its css, one per controller present): the files of those controllers, and
/// the counters forks charge level by level. A child of the <see cref="CgroupCoreActor"/>, named <c>cg&lt;id&gt;</c>.</summary>
/// <remarks>Linux: what pids.c and the other controllers keep per css, behind their own atomics and locks, not
/// cgroup_mutex.</remarks>
public sealed class CgroupActor : UntypedActor
{
    private readonly KernelContext _ctx;
    private readonly int _id;
    private readonly bool _onDefault;
    private readonly Dictionary<string, CgroupSubsystem> _subsystems;
    private readonly SortedDictionary<string, Css> _css = new(StringComparer.Ordinal);

    public CgroupActor(KernelContext ctx, int id, bool onDefault, IReadOnlyList<CgroupSubsystem> present, IReadOnlyList<CgroupSubsystem> all)
    {
        _ctx = ctx;
        _id = id;
        _onDefault = onDefault;
        _subsystems = all.ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var ss in present)
        {
            _css.Add(ss.Name, ss.Create(onDefault));
        }
        ctx.View.Register(id, _css);
    }

    public static Props Props(KernelContext ctx, Cgroup cgroup, IReadOnlyList<CgroupSubsystem> present) =>
        ActorFactory.Props((ctx, cgroup.Id, cgroup.Hierarchy.OnDefault, present, cgroup.Hierarchy.Subsystems),
                static a => new CgroupActor(a.ctx, a.Id, a.OnDefault, a.present, a.Subsystems))
            .WithDispatcher(ctx.Settings.Dispatcher);

    protected override void PostStop() => _ctx.View.UnregisterCgroup(_id);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Charge m:
                HandleCharge(m);
                break;
            case Reject m:
                HandleReject(m);
                break;
            case CssFile m:
                HandleFile(m);
                break;
            case Adjust m:
                _css[m.Subsystem].Adjust(m.Delta);
                break;
            case EnableCss m:
                var css = _subsystems[m.Subsystem].Create(_onDefault);
                css.Adjust(m.Tasks);
                _css.Add(m.Subsystem, css);
                break;
            case DisableCss m:
                _css.Remove(m.Subsystem);
                break;
            default:
                Unhandled(message);
                return;
        }
        if (_ctx.Settings.CheckInvariants)
        {
            foreach (var css in _css.Values)
            {
                css.CheckInvariants();
            }
        }
    }

    private void HandleCharge(Charge m)
    {
        var chain = m.Ticket.Chain;
        if (!_css[chain[m.Index].Subsystem].TryCharge())
        {
            // pids_try_charge() hit this level's limit; pids_event() follows.
            HandleReject(new Reject(m.Corr, m.Ticket, m.Index, m.Index, Up: true, m.ReplyTo));
            return;
        }
        if (m.Index + 1 < chain.Length)
        {
            chain[m.Index + 1].Actor.Tell(m with { Index = m.Index + 1 });
            return;
        }
        m.ReplyTo.Tell(new ForkAdmitted(m.Corr, m.Ticket, Errno.None));
    }

    private void HandleReject(Reject m)
    {
        var chain = m.Ticket.Chain;
        var level = chain[m.Index];
        var css = _css[level.Subsystem];
        var slotStart = m.OverLimit;
        while (slotStart > 0 && chain[slotStart - 1].Slot == chain[m.OverLimit].Slot)
        {
            slotStart--;
        }
        if (m.Up)
        {
            var role = m.Index == m.OverLimit ? ForkRejectionRole.OverLimit : ForkRejectionRole.AboveOverLimit;
            css.ForkRejected(m.Index == slotStart ? role | ForkRejectionRole.Forking : role);
            // v2 counts the event in every ancestor of the level over its limit.
            if (level.OnDefault && m.Index + 1 < chain.Length && chain[m.Index + 1].Slot == level.Slot)
            {
                chain[m.Index + 1].Actor.Tell(m with { Index = m.Index + 1 });
                return;
            }
        }
        else
        {
            css.Adjust(-1); // the revert loop of pids_try_charge(), or an earlier controller's cancel_fork
            if (m.Index == slotStart)
            {
                css.ForkRejected(ForkRejectionRole.Forking);
            }
        }
        var next = m.Up ? m.OverLimit - 1 : m.Index - 1;
        if (next >= 0)
        {
            chain[next].Actor.Tell(m with { Index = next, Up = false });
            return;
        }
        m.ReplyTo.Tell(new ForkAdmitted(m.Corr, m.Ticket, Errno.EAGAIN));
    }

    private void HandleFile(CssFile m)
    {
        if (!_css.TryGetValue(m.Subsystem, out var css))
        {
            m.ReplyTo.Tell(new Result(m.Corr, null, Errno.ENOENT)); // disabled since the core looked the path up
            return;
        }
        if (m.Op == CgroupFileOp.Read)
        {
            var (text, errno) = css.Read(m.Name);
            m.ReplyTo.Tell(new Result(m.Corr, text, errno));
            return;
        }
        m.ReplyTo.Tell(new Result(m.Corr, null, css.Write(m.Name, m.Value ?? "")));
    }
}
