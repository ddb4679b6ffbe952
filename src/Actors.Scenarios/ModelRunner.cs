using Actors.Kernel;
using Actors.Scheduling;
using Akka.Actor;
using Akka.Configuration;

namespace Actors.Scenarios;

/// <summary>The result of running one scenario file on the model.</summary>
/// <param name="File">The file.</param>
/// <param name="Outcomes">Transcript lines, in order.</param>
/// <param name="Error">A scenario error (<c>FILE:LINE: ...</c>): nothing was run, or the run stopped there.</param>
/// <param name="Violation">An invariant violation, model failure or deadlock found while running, or null.</param>
public sealed record FileRun(string File, IReadOnlyList<StepOutcome> Outcomes, string? Error, string? Violation)
{
    public int Passed => Outcomes.Count(o => o.Passed == true);
    public int Failed => Outcomes.Count(o => o.Failed) + (Violation is null ? 0 : 1);
}

/// <summary>Runs scenario files on the model: one actor system on the controlled dispatcher, a fresh kernel per file.</summary>
public sealed class ModelRunner : IDisposable
{
    /// <summary>The dispatcher id every model actor uses under the runner.</summary>
    public const string ControlledDispatcher = "actors.dispatchers.controlled";

    private readonly ActorSystem _system;
    private readonly ControlledHost _host;
    private readonly Config _config;

    /// <param name="config">The configuration (layered over <see cref="KernelConfig.Default"/>); the runner puts the
    /// model actors on the controlled dispatcher whatever it says.</param>
    public ModelRunner(Config config)
    {
        _config = config;
        var full = ConfigurationFactory.ParseString($"actors.kernel.dispatcher = \"{ControlledDispatcher}\"")
            .WithFallback(config).WithFallback(KernelConfig.Default());
        Settings = KernelSettings.From(full);
        StepChecks = full.GetString("actors.explorer.step-checks", "owner") switch
        {
            "owner" => StepChecks.Owner,
            "all" => StepChecks.All,
            var other => throw new ConfigurationException($"actors.explorer.step-checks: '{other}' is not owner or all"),
        };
        Checkpoints = full.GetBoolean("actors.explorer.checkpoint", true);
        _system = ActorSystem.Create("actors", full);
        _host = ControlledHost.Create(_system, ControlledDispatcher);
    }

    /// <summary>Kernel settings before each scenario's own config lines.</summary>
    public KernelSettings Settings { get; }

    public ControlledHost Host => _host;

    /// <summary>What each schedule checks after every controlled step (<c>actors.explorer.step-checks</c>).</summary>
    public StepChecks StepChecks { get; }

    /// <summary>Whether the explorer starts each schedule from a checkpoint of the kernel after the scenario's
    /// sequential prefix instead of a fresh kernel (<c>actors.explorer.checkpoint</c>).</summary>
    public bool Checkpoints { get; }

    /// <summary>Another runner with the same configuration: its own actor system and controller, for another thread.</summary>
    public ModelRunner CreateSibling() => new(_config);

    /// <summary>Parses and runs <paramref name="path"/>.</summary>
    public FileRun RunFile(string path)
    {
        Scenario scenario;
        try
        {
            scenario = ScenarioParser.ParseFile(path);
        }
        catch (ScenarioException e)
        {
            return new FileRun(path, [], e.Message, null);
        }
        return Run(scenario);
    }

    /// <summary>Runs <paramref name="scenario"/> in written order (parallel blocks too).</summary>
    public FileRun Run(Scenario scenario)
    {
        ScenarioExecution? execution = null;
        try
        {
            execution = new ScenarioExecution(_host, scenario, Settings, StepChecks);
            execution.RunInOrder();
            return new FileRun(scenario.File, execution.Outcomes, null, null);
        }
        catch (ScenarioException e)
        {
            return new FileRun(scenario.File, execution?.Outcomes ?? [], e.Message, null);
        }
        catch (Exception e) when (e is InvariantViolationException or ModelFailureException or DeadlockException or EscapedWorkException)
        {
            return new FileRun(scenario.File, execution?.Outcomes ?? [], null, e.Message);
        }
        finally
        {
            execution?.Dispose();
        }
    }

    public void Dispose()
    {
        _host.Controller.ReleaseToThreadPool();
        _system.Terminate().Wait(TimeSpan.FromSeconds(10));
        _system.Dispose();
    }
}
