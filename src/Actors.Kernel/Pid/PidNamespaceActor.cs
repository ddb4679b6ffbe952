using Akka.Actor;
using static Actors.Kernel.Pid.PidNsProtocol;

namespace Actors.Kernel.Pid;

/// <summary>The actor of one pid namespace: creates child namespaces (as its child actors) and destroys itself when
/// its last reference goes. Its pid map is its child actor <c>pidmap</c>.</summary>
public sealed class PidNamespaceActor : UntypedActor
{
    private readonly KernelContext _ctx;
    private readonly PidNamespace _ns;

    /// <param name="ctx">The kernel.</param>
    /// <param name="handle">This namespace.</param>
    /// <param name="map">Its pid map state (prebuilt for the initial namespace, which boots with init's pid).</param>
    /// <param name="requester">Who asked for this namespace; told <see cref="ChildCreated"/> once the actors exist.</param>
    /// <param name="corr">The requester's correlation id.</param>
    public PidNamespaceActor(KernelContext ctx, NsHandle handle, PidMap map, IActorRef requester, long corr)
    {
        _ctx = ctx;
        _ns = new PidNamespace(handle);
        handle.NsActor = Self;
        handle.PidMap = Context.ActorOf(PidMapActor.Props(ctx, map), "pidmap");
        ctx.View.Register(_ns, map);
        requester.Tell(new ChildCreated(corr, handle, Errno.None));
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case CreateChild m:
                HandleCreateChild(m);
                break;
            case Destroy:
                HandleDestroy();
                break;
            case ChildGone m:
                HandleChildGone(m);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override SupervisorStrategy SupervisorStrategy() => _ctx.Supervision();

    public static Props Props(KernelContext ctx, NsHandle handle, PidMap map, IActorRef requester, long corr) =>
        ActorFactory.Props((ctx, handle, map, requester, corr),
                static a => new PidNamespaceActor(a.ctx, a.handle, a.map, a.requester, a.corr))
            .WithDispatcher(ctx.Settings.Dispatcher);

    private void HandleCreateChild(CreateChild m)
    {
        var errno = _ns.CheckCreateChild(_ctx.Settings.MaxPidNsLevel);
        // inc_pid_namespaces(): the per-user max_pid_namespaces ucount, also ENOSPC.
        if (errno == Errno.None && !_ctx.TryCountNamespace())
        {
            errno = Errno.ENOSPC;
        }
        if (errno != Errno.None)
        {
            Sender.Tell(new ChildCreated(m.Corr, null, errno));
            return;
        }
        var child = new NsHandle(_ctx.NewNsId(), _ns.Handle.Level + 1, _ns.Handle, initialRefs: 1);
        _ns.Handle.Get(); // the child's reference on its parent
        _ns.AddChild(child);
        var map = new PidMap(child, _ctx.Settings.ChildPidMax, _ctx.Settings.ReservedPids);
        Context.ActorOf(Props(_ctx, child, map, Sender, m.Corr), $"ns{child.Id}");
        CheckIfEnabled();
    }

    private void HandleDestroy()
    {
        // destroy_pid_namespace(): dec_pid_namespaces(), then put_pid_ns(parent) (done by the parent on ChildGone).
        var handle = _ns.Handle;
        if (!handle.Destroyed)
        {
            throw new InvariantViolationException($"{handle} told to destroy itself with {handle.Refs} references");
        }
        _ctx.View.Unregister(handle);
        _ctx.UncountNamespace();
        handle.Parent?.NsActor.Tell(new ChildGone(handle));
        Context.Stop(Self);
    }

    private void HandleChildGone(ChildGone m)
    {
        _ns.RemoveChild(m.Child);
        CheckIfEnabled();
        _ns.Handle.Put();
    }

    private void CheckIfEnabled()
    {
        if (_ctx.Settings.CheckInvariants)
        {
            _ns.CheckInvariants();
        }
    }

    /// <summary>A child namespace was destroyed: forget it and drop its reference on this namespace.</summary>
    internal sealed record ChildGone(NsHandle Child);
}
