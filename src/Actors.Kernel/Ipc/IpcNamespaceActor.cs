using Akka.Actor;
using static Actors.Kernel.Ipc.IpcProtocol;

namespace Actors.Kernel.Ipc;

/// <summary>One IPC namespace: its three id sets (msg, sem, shm) in one actor.</summary>
/// <remarks>One actor per namespace, not one per object or per id set: an object creation touches one id set under
/// one rwsem in Linux (ipc/util.c:ipcget()), and a message per object would cost more than the kernel's own
/// msgget+IPC_RMID (about 550,000 pairs per second on this machine). Every task is root (IpcCredentials.Root).</remarks>
public sealed class IpcNamespaceActor : UntypedActor
{
    private readonly KernelContext _ctx;
    private readonly IpcNsHandle _handle;
    private readonly IpcNamespaceState _state;

    public IpcNamespaceActor(KernelContext ctx, IpcNsHandle handle)
    {
        _ctx = ctx;
        _handle = handle;
        _state = new IpcNamespaceState(ctx.Settings.IpcLimits);
        ctx.View.Register(handle, _state);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Get m:
                HandleGet(m);
                break;
            case Remove m:
                Reply(m.Corr, 0, _state.Remove(m.Type, m.Id, IpcCredentials.Root), false);
                break;
            case NextIdSysctl m:
                HandleNextIdSysctl(m);
                break;
            case Destroy:
                _ctx.View.Unregister(_handle);
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    public static Props Props(KernelContext ctx, IpcNsHandle handle) =>
        ActorFactory.Props((ctx, handle), static a => new IpcNamespaceActor(a.ctx, a.handle)).WithDispatcher(ctx.Settings.Dispatcher);

    private void HandleGet(Get m)
    {
        var r = _state.Get(m.Type, m.Key, m.Flags, m.Arg, IpcCredentials.Root, m.RequestedId);
        Reply(m.Corr, r.Id, r.Error, r.RequestedIdConsumed);
    }

    private void HandleNextIdSysctl(NextIdSysctl m) => Reply(m.Corr,
        m.Write is null ? _state.ReadNextId(m.Type) : 0,
        m.Write is long v ? _state.WriteNextId(m.Type, v, IpcCredentials.Root) : Errno.None, false);

    private void Reply(long corr, long value, Errno errno, bool consumed)
    {
        Sender.Tell(new Result(corr, errno == Errno.None ? value : -1, errno, consumed));
        if (_ctx.Settings.CheckInvariants)
        {
            _state.CheckInvariants();
        }
    }
}
