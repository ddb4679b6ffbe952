using Akka.Actor;
using static Actors.Kernel.Pid.PidMapProtocol;

namespace Actors.Kernel.Pid;

/// <summary>The actor that owns one namespace's <see cref="PidMap"/>: each message is one hold of pidmap_lock.</summary>
public sealed class PidMapActor : UntypedActor
{
    private readonly KernelContext _ctx;
    private readonly PidMap _map;
    private NotifyWhenCount? _zapWaiter;

    public PidMapActor(KernelContext ctx, PidMap map)
    {
        _ctx = ctx;
        _map = map;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Reserve m:
                HandleReserve(m);
                break;
            case Commit m:
                HandleCommit(m);
                break;
            case Release m:
                HandleRelease(m);
                break;
            case DisableAllocation:
                _map.DisableAllocation();
                CheckIfEnabled();
                break;
            case NotifyWhenCount m:
                HandleNotifyWhenCount(m);
                break;
            case SetChildReaper:
                _map.HasChildReaper = true;
                CheckIfEnabled();
                break;
            case Sysctl m:
                HandleSysctl(m);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    public static Props Props(KernelContext ctx, PidMap map) =>
        ActorFactory.Props((ctx, map), static a => new PidMapActor(a.ctx, a.map)).WithDispatcher(ctx.Settings.Dispatcher);

    private void HandleReserve(Reserve m)
    {
        var errno = _map.Reserve(m.Requested, out var nr);
        Sender.Tell(new Reserved(m.Corr, nr, errno));
        CheckIfEnabled();
    }

    private void HandleCommit(Commit m)
    {
        var innermost = m.Level == m.Pid.Level;
        var errno = _map.Commit(m.Pid.Numbers[m.Level].Nr, m.Pid, innermost);
        if (!innermost)
        {
            m.Pid.Numbers[m.Level + 1].Ns.PidMap.Tell(m with { Level = m.Level + 1 });
        }
        else
        {
            if (errno == Errno.None)
            {
                // alloc_pid: get_pid_ns(ns): the pid keeps its namespace alive until it is freed.
                _map.Ns.Get();
            }
            m.ReplyTo.Tell(new Committed(m.Corr, errno));
        }
        CheckIfEnabled();
    }

    private void HandleRelease(Release m)
    {
        var innermost = m.Level == m.Numbers.Count - 1;
        var outcome = _map.Release(m.Numbers[m.Level].Nr, innermost);
        if (m.Level > m.StopLevel)
        {
            m.Numbers[m.Level - 1].Ns.PidMap.Tell(m with { Level = m.Level - 1 });
        }
        else if (m.NotifyTo is not null && m.Then is not null)
        {
            m.NotifyTo.Tell(m.Then);
        }
        if (_zapWaiter is not null && _map.Count == _zapWaiter.Count)
        {
            _zapWaiter.ReplyTo.Tell(_zapWaiter.Then);
            _zapWaiter = null;
        }
        CheckIfEnabled();
        if (innermost && outcome != FreeOutcome.Unreserved)
        {
            // put_pid() -> put_pid_ns(): last, since it may destroy this namespace.
            _map.Ns.Put();
        }
    }

    private void HandleNotifyWhenCount(NotifyWhenCount m)
    {
        if (_map.Count == m.Count)
        {
            m.ReplyTo.Tell(m.Then);
        }
        else
        {
            _zapWaiter = m;
        }
    }

    private void HandleSysctl(Sysctl m)
    {
        long value = 0;
        var errno = Errno.None;
        switch (m.Which, m.WriteValue)
        {
            case (PidSysctl.NsLastPid, null):
                value = _map.LastPid;
                break;
            case (PidSysctl.NsLastPid, long v):
                errno = _map.WriteLastPid(v);
                break;
            case (PidSysctl.PidMax, null):
                value = _map.PidMax;
                break;
            case (PidSysctl.PidMax, long v):
                errno = _map.WritePidMax(v, _ctx.Settings.PossibleCpus);
                break;
        }
        Sender.Tell(new SysctlResult(m.Corr, value, errno));
        CheckIfEnabled();
    }

    private void CheckIfEnabled()
    {
        if (_ctx.Settings.CheckInvariants)
        {
            _map.CheckInvariants();
        }
    }
}
