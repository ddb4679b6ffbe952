using Akka.Configuration;
using Akka.Dispatch;

namespace Actors.Scheduling;

/// <summary>Builds the <see cref="ControlledDispatcher"/> of one dispatcher id; named in HOCON by its type.</summary>
/// <example>
/// <code>
/// actors.dispatchers.controlled {
///   type = "Actors.Scheduling.ControlledDispatcherConfigurator, Actors.Scheduling"
/// }
/// </code>
/// then <c>Props.WithDispatcher("actors.dispatchers.controlled")</c> on every actor to control.
/// </example>
public sealed class ControlledDispatcherConfigurator : MessageDispatcherConfigurator
{
    /// <summary>The HOCON <c>type</c> value that selects this configurator.</summary>
    public const string TypeName = "Actors.Scheduling.ControlledDispatcherConfigurator, Actors.Scheduling";

    private readonly ControlledDispatcher _dispatcher;

    /// <summary>Called by Akka's <c>Dispatchers</c> with the dispatcher's config (which includes <c>id</c>).</summary>
    public ControlledDispatcherConfigurator(Config config, IDispatcherPrerequisites prerequisites)
        : base(config, prerequisites)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(prerequisites);
        var controller = SchedulingController.Get(prerequisites.Settings.System);
        var id = config.GetString("id", "actors.dispatchers.controlled");
        var shutdownTimeout = config.GetTimeSpan("shutdown-timeout", TimeSpan.FromSeconds(1));
        _dispatcher = new ControlledDispatcher(this, controller, id, shutdownTimeout);
    }

    /// <summary>The one dispatcher of this id (shared by all its actors).</summary>
    public override MessageDispatcher Dispatcher() => _dispatcher;
}
