using System.Collections.Immutable;
using Actors.Kernel.Cgroups;
using Actors.Kernel.Ipc;
using Actors.Kernel.Pid;
using Actors.Kernel.Tasks;
using Akka.Actor;

namespace Actors.Kernel;

/// <summary>The root of one kernel: creates the initial pid namespace (<c>ns0</c>, with its pid map) and the task
/// list (<c>tasks</c>), and boots init as pid 1; tells <see cref="KernelProtocol.Booted"/> to its creator.</summary>
/// <remarks>Linux: start_kernel() as far as it matters here: init_pid_ns and the first process. The scenario's init
/// has no parent inside the model (on Linux, under <c>actors conform</c>, its parent is the helper outside the
/// scenario's namespace).</remarks>
public sealed class KernelActor : UntypedActor
{
    private readonly KernelContext _ctx;
    private readonly IActorRef _tasks;
    private readonly TaskListProtocol.Adopt _adopt;

    public KernelActor(KernelContext ctx, IActorRef notify)
    {
        _ctx = ctx;
        var settings = ctx.Settings;
        // References on the initial namespace: init's pid and init's nsproxy, plus one for the kernel itself
        // (init_pid_ns is never freed).
        var root = new NsHandle(ctx.NewNsId(), 0, null, initialRefs: 3);
        ctx.View.RootNs = root;
        var map = new PidMap(root, settings.PidMax, settings.ReservedPids);
        map.Reserve(null, out var initNr);
        var initPid = new Pid.Pid(ctx.NewPidId(), ImmutableArray.Create(new UPid(initNr, root)));
        map.Commit(initNr, initPid, innermost: true);
        // ns0 answers ChildCreated once its pid map actor exists; init boots only then (its first fork goes there).
        Context.ActorOf(PidNamespaceActor.Props(ctx, root, map, Self, 0), "ns0");
        _tasks = Context.ActorOf(TaskListActor.Props(ctx), "tasks");
        ctx.View.TaskListActor = _tasks;
        ctx.View.Kernel = Self;
        // The initial IPC namespace: one reference for init's nsproxy, one for the kernel (never freed).
        var ipc = new IpcNsHandle(ctx.NewNsId(), initialRefs: 2);
        ipc.Actor = Context.ActorOf(IpcNamespaceActor.Props(ctx, ipc), $"ipc{ipc.Id}");
        var proxy = new NsProxy(root, ipc, utsNs: 0, mntNs: 0, netNs: 0);
        _adopt = new TaskListProtocol.Adopt(ctx.NewTaskId(), initPid, proxy, notify);
        if (settings.Cgroup.Enabled)
        {
            // The cgroup core boots with init in the scenario's cgroup of every hierarchy.
            ctx.View.CgroupCoreActor = Context.ActorOf(CgroupCoreActor.Props(ctx, _adopt.TaskId, initPid), "cgroups");
        }
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PidNsProtocol.ChildCreated:
                _tasks.Tell(_adopt);
                break;
            case KernelProtocol.CreateIpcNamespace m:
                HandleCreateIpcNamespace(m);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    protected override SupervisorStrategy SupervisorStrategy() => _ctx.Supervision();

    public static Props Props(KernelContext ctx, IActorRef notify) =>
        ActorFactory.Props((ctx, notify), static a => new KernelActor(a.ctx, a.notify)).WithDispatcher(ctx.Settings.Dispatcher);

    private void HandleCreateIpcNamespace(KernelProtocol.CreateIpcNamespace m)
    {
        var ns = new IpcNsHandle(_ctx.NewNsId(), initialRefs: 1);
        ns.Actor = Context.ActorOf(IpcNamespaceActor.Props(_ctx, ns), $"ipc{ns.Id}");
        Sender.Tell(new KernelProtocol.IpcNamespaceCreated(m.Corr, ns));
    }
}
