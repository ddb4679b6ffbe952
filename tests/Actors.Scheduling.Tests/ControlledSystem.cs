using Akka.Actor;

namespace Actors.Scheduling.Tests;

/// <summary>An actor system with one controlled dispatcher and a started <see cref="ControlledHost"/>;
/// disposing releases the controller and terminates the system.</summary>
internal sealed class ControlledSystem : IDisposable
{
    public const string DispatcherId = "actors.dispatchers.controlled";

    public const string Hocon = """
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        bounded-mailbox {
          mailbox-type = "Akka.Dispatch.BoundedMailbox"
          mailbox-capacity = 100
          mailbox-push-timeout-time = 1s
        }
        actors.dispatchers.controlled {
          type = "Actors.Scheduling.ControlledDispatcherConfigurator, Actors.Scheduling"
        }
        """;

    /// <param name="name">The actor system's name.</param>
    /// <param name="extraHocon">Layered over <see cref="Hocon"/> (e.g. a mailbox-type for the controlled dispatcher).</param>
    public ControlledSystem(string name = "sched", string extraHocon = "")
    {
        System = ActorSystem.Create(name, Hocon + "\n" + extraHocon);
        Controller = SchedulingController.Get(System);
        Host = ControlledHost.Create(System, DispatcherId);
    }

    public ActorSystem System { get; }

    public SchedulingController Controller { get; }

    public ControlledHost Host { get; }

    public void Dispose()
    {
        Controller.ReleaseToThreadPool();
        System.Terminate().Wait(TimeSpan.FromSeconds(10));
    }
}
