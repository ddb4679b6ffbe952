using System.Diagnostics;
using Akka.Actor;
using Xunit.Abstractions;

namespace Actors.Scheduling.Tests;

/// <summary>Prints controller throughput figures (no timing assertions: this VM varies by ±30 %).
/// Run in Release for meaningful numbers: <c>dotnet test -c Release --filter Category=Perf</c>.</summary>
[Trait("Category", "Perf")]
public sealed class ControllerThroughputSpec
{
    private readonly ITestOutputHelper _output;

    public ControllerThroughputSpec(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Controller_must_explore_the_toy_dfs_quickly_with_fresh_actors_per_schedule()
    {
        // Akka's actor creation and stop paths take a few seconds of calls before tiered JIT has optimised
        // them, so the rate is printed per round: the last rounds are the warmed-up figure.
        using var sys = new ControlledSystem();
        var scenario = new PidMapScenario(sys, tasks: 2, atomic: true);
        for (var round = 0; round < 4; round++)
        {
            var schedules = 0;
            var clock = Stopwatch.StartNew();
            while (clock.ElapsedMilliseconds < 600)
            {
                schedules += scenario.Explore(new DfsStrategy(), 10_000).Count;
            }

            var rate = schedules / clock.Elapsed.TotalSeconds;
            _output.WriteLine($"round {round}: dfs 2 tasks atomic (14 schedules; 3 actors spawned and stopped per schedule): {rate:N0} schedules/s");
            Assert.Equal(0, schedules % 14);
        }

        Assert.False(sys.Controller.Tainted);
    }

    [Fact]
    public void Controller_must_run_many_steps_per_second_with_reused_actors()
    {
        using var sys = new ControlledSystem();
        var a = sys.Host.Spawn(Props.Create<ControlledDispatcherSpec.PingPongActor>(), "a");
        var b = sys.Host.Spawn(Props.Create<ControlledDispatcherSpec.PingPongActor>(), "b");
        for (var i = 0; i < 200; i++)
        {
            // Warm-up: enough calls for tiered JIT to optimise Run (a single long call stays in OSR code).
            a.Tell(new ControlledDispatcherSpec.PingPongActor.Ball(b, 1_000));
            sys.Controller.RunToQuiescence();
        }

        foreach (var strategy in new ISchedulingStrategy[] { FifoStrategy.Instance, new RandomStrategy(1), new PctStrategy(1, 3, 1000), new DfsStrategy(), FifoStrategy.Instance })
        {
            strategy.PrepareIteration(0);
            a.Tell(new ControlledDispatcherSpec.PingPongActor.Ball(b, 1_000_000));
            var clock = Stopwatch.StartNew();
            var outcome = sys.Controller.Run(strategy);
            var rate = outcome.Steps / clock.Elapsed.TotalSeconds;
            _output.WriteLine($"ping-pong, {strategy.Describe()}: {outcome.Steps:N0} steps, {rate:N0} steps/s");
            Assert.True(outcome.Quiescent);
        }
    }

    [Fact]
    public void Controller_must_run_the_racy_three_task_dfs_at_a_useful_rate()
    {
        using var sys = new ControlledSystem();
        var scenario = new PidMapScenario(sys, tasks: 3, atomic: false);
        var dfs = new DfsStrategy();
        var clock = Stopwatch.StartNew();
        var schedules = 0;
        var buggy = 0;
        for (var i = 0; clock.ElapsedMilliseconds < 2000 && dfs.PrepareIteration(i); i++)
        {
            var result = scenario.RunOnce(dfs, i);
            schedules++;
            buggy += result.Duplicate ? 1 : 0;
        }

        _output.WriteLine(
            $"dfs 3 tasks racy: {schedules:N0} schedules ({buggy:N0} buggy) in {clock.ElapsedMilliseconds} ms, " +
            $"{schedules / clock.Elapsed.TotalSeconds:N0} schedules/s, exhausted={dfs.Exhausted}");
        Assert.True(schedules > 0);
    }
}
