using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.SysMsg;

namespace Actors.Scheduling;

/// <summary>A dispatcher that never runs anything itself: every mailbox run is parked in the actor system's
/// <see cref="SchedulingController"/>, which runs it when a strategy picks it.</summary>
/// <remarks>
/// <see cref="MessageDispatcher.Throughput"/> is 1 and <see cref="MessageDispatcher.ThroughputDeadlineTime"/> is 0,
/// so one run processes all system messages and at most one user message: Akka's <c>Mailbox.ProcessMailbox</c>
/// compares the deadline with absolute monotonic ticks, and a deadline of 0 is always past (with throughput 1
/// alone, some Akka versions let two messages through). Only actors whose <c>Props</c> name this dispatcher's id
/// are controlled: children do not inherit it, and system actors keep their own dispatchers.
/// </remarks>
public sealed class ControlledDispatcher : MessageDispatcher
{
    private readonly SchedulingController _controller;

    internal ControlledDispatcher(MessageDispatcherConfigurator configurator, SchedulingController controller, string id, TimeSpan shutdownTimeout)
        : base(configurator)
    {
        _controller = controller;
        Id = id;
        Throughput = 1;
        ThroughputDeadlineTime = 0;
        ShutdownTimeout = shutdownTimeout;
    }

    /// <summary>The controller that runs this dispatcher's work.</summary>
    public SchedulingController Controller => _controller;

    /// <inheritdoc />
    public override void Attach(ActorCell cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        _controller.Register(cell.Mailbox, SchedulingController.LabelOf(cell.Self.Path));
        base.Attach(cell);
    }

    /// <inheritdoc />
    public override void Detach(ActorCell cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        var mailbox = cell.Mailbox;
        try
        {
            base.Detach(cell);
        }
        finally
        {
            _controller.Unregister(mailbox);
        }
    }

    /// <inheritdoc />
    public override void Dispatch(ActorCell cell, Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(cell);
        _controller.OnDispatch(cell.Mailbox, envelope.Message);
        base.Dispatch(cell, envelope);
    }

    /// <inheritdoc />
    public override void SystemDispatch(ActorCell cell, SystemMessage message)
    {
        ArgumentNullException.ThrowIfNull(cell);
        _controller.OnSystemDispatch(cell.Mailbox);
        base.SystemDispatch(cell, message);
    }

    /// <inheritdoc />
    protected override void ExecuteTask(IRunnable run) => _controller.Park(run);

    /// <inheritdoc />
    protected override void Shutdown()
    {
        // Nothing to release: the controller owns no threads.
    }
}
