using Akka.Actor;
using Akka.Configuration;

namespace Actors.Scheduling;

/// <summary>A top-level actor on a controlled dispatcher that creates and stops controlled actors synchronously,
/// for tests, <c>actors run</c> and the explorer.</summary>
/// <remarks>
/// Top-level actors start asynchronously (the <c>/user</c> guardian attaches them on its own thread), so the
/// host is started once, waiting for the guardian; its children are created with <c>Context.ActorOf</c> inside
/// a host step on the caller's thread, and are therefore parked at once. Every operation sends the host a
/// message and runs the controller in FIFO order to quiescence, so any other parked work runs too.
/// Children are kept in creation order (never in Akka's hash-ordered child container).
/// Not thread-safe: use it from the thread that runs the controller.
/// </remarks>
public sealed class ControlledHost
{
    private readonly List<IActorRef> _children = [];

    private ControlledHost(IActorRef host, string dispatcherId, SchedulingController controller)
    {
        Ref = host;
        DispatcherId = dispatcherId;
        Controller = controller;
    }

    /// <summary>The host actor.</summary>
    public IActorRef Ref { get; }

    /// <summary>The controlled dispatcher id given to children whose props name no dispatcher.</summary>
    public string DispatcherId { get; }

    /// <summary>The actor system's controller.</summary>
    public SchedulingController Controller { get; }

    /// <summary>Children spawned and not stopped through this host, in creation order.</summary>
    public IReadOnlyList<IActorRef> Children => _children;

    /// <summary>Creates the host <c>/user/<paramref name="name"/></c> on <paramref name="dispatcherId"/> and runs it
    /// until it has started (FIFO, to quiescence).</summary>
    /// <exception cref="ArgumentException">The dispatcher id is not a controlled dispatcher.</exception>
    /// <exception cref="TimeoutException">The guardian did not start the host within <paramref name="startTimeout"/> (5 s).</exception>
    public static ControlledHost Create(ActorSystem system, string dispatcherId, string name = "host", TimeSpan? startTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentException.ThrowIfNullOrEmpty(dispatcherId);
        if (system.Dispatchers.Lookup(dispatcherId) is not ControlledDispatcher dispatcher)
        {
            throw new ArgumentException(
                $"Dispatcher '{dispatcherId}' is not configured with type = \"{ControlledDispatcherConfigurator.TypeName}\".",
                nameof(dispatcherId));
        }

        var controller = dispatcher.Controller;
        var timeout = startTimeout ?? TimeSpan.FromSeconds(5);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var started = new StartSignal();
        var host = system.ActorOf(Props.Create<HostActor>(started).WithDispatcher(dispatcherId), name);

        // Messages sent before the guardian repoints the ref would reach the real mailbox later, from the
        // guardian's thread: wait for the repointing first.
        if (host is RepointableActorRef repointable &&
            !SpinWait.SpinUntil(() => repointable.IsStarted, timeout))
        {
            throw new TimeoutException($"The guardian did not start '{host.Path}' within {timeout}.");
        }

        while (!started.Value)
        {
            controller.RunToQuiescence();
            if (!started.Value && !controller.WaitForPending(1, timeout - clock.Elapsed))
            {
                throw new TimeoutException($"'{host.Path}' did not start within {timeout}.");
            }
        }

        return new ControlledHost(host, dispatcherId, controller);
    }

    /// <summary>Creates the child <paramref name="name"/> of the host and runs FIFO to quiescence.</summary>
    /// <remarks>Props that name no dispatcher get <see cref="DispatcherId"/> (children do not inherit it).
    /// Prefer <c>Props.Create(typeof(T), args)</c>: expression-based props are far slower to create.</remarks>
    public IActorRef Spawn(Props props, string name)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (string.IsNullOrEmpty(props.Deploy.Dispatcher))
        {
            props = props.WithDispatcher(DispatcherId);
        }

        var request = new HostActor.SpawnRequest(props, name);
        Ref.Tell(request, ActorRefs.NoSender);
        Controller.RunToQuiescence();
        if (request.Error is not null)
        {
            throw new InvalidOperationException($"Could not spawn '{name}' under {Ref.Path}: {request.Error.Message}", request.Error);
        }

        var child = request.Result ?? throw new InvalidOperationException(
            $"The host did not process the spawn of '{name}' (is the controller released or tainted?).");
        _children.Add(child);
        return child;
    }

    /// <summary>Stops <paramref name="child"/> (a child of the host) and runs FIFO to quiescence.</summary>
    public void Stop(IActorRef child)
    {
        ArgumentNullException.ThrowIfNull(child);
        Ref.Tell(new HostActor.StopRequest(child), ActorRefs.NoSender);
        _children.Remove(child);
        Controller.RunToQuiescence();
    }

    /// <summary>Stops every child spawned through this host, in creation order, and runs FIFO to quiescence,
    /// so their names can be reused at once.</summary>
    public void StopChildren()
    {
        foreach (var child in _children)
        {
            Ref.Tell(new HostActor.StopRequest(child), ActorRefs.NoSender);
        }

        _children.Clear();
        Controller.RunToQuiescence();
    }

    /// <summary>Set by the host when it started. Written and read on the controller's thread; volatile for the wait.</summary>
    private sealed class StartSignal
    {
        private volatile bool _value;

        public bool Value
        {
            get => _value;
            set => _value = value;
        }
    }

    private sealed class HostActor(StartSignal started) : UntypedActor
    {
        protected override void PreStart() => started.Value = true;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case SpawnRequest spawn:
                    try
                    {
                        spawn.Result = Context.ActorOf(spawn.Props, spawn.Name);
                    }
                    catch (Exception e) when (e is InvalidActorNameException or ArgumentException or ConfigurationException)
                    {
                        spawn.Error = e;
                    }

                    break;
                case StopRequest stop:
                    Context.Stop(stop.Child);
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }

        /// <summary>Request and reply slot in one: the host and the caller share the controller's thread.</summary>
        internal sealed class SpawnRequest(Props props, string name)
        {
            public Props Props { get; } = props;

            public string Name { get; } = name;

            public IActorRef? Result { get; set; }

            public Exception? Error { get; set; }
        }

        internal sealed record StopRequest(IActorRef Child);
    }
}
