using System.Globalization;
using System.Text;
using Actors.Kernel;
using Actors.Kernel.Ipc;
using Actors.Scheduling;
using Xunit;
using Xunit.Abstractions;

namespace Actors.Scenarios.Tests;

/// <summary>A schedule started from the checkpoint after a scenario's sequential prefix
/// (<c>actors.explorer.checkpoint = on</c>) is the schedule a fresh kernel runs: the same steps, outcomes, violations
/// and final kernel state, on every race scenario, both broken models and every strategy. Seeds are fixed and
/// printed.</summary>
public sealed class CheckpointTests(RunnerFixture fixture, ITestOutputHelper output) : IClassFixture<RunnerFixture>
{
    private const string Off = "actors.kernel.check-invariants = on\nactors.explorer.checkpoint = off";

    private static Scenario Load(string file) => file.StartsWith("Broken/", StringComparison.Ordinal)
        ? ScenarioParser.ParseFile(Path.Combine(AppContext.BaseDirectory, file))
        : ScenarioParser.ParseFile(Path.Combine(RepoPaths.Root, file));

    private static string[] FileNames => [.. Directory.GetFiles(Path.Combine(RepoPaths.Root, "scenarios/races"), "*.scn")
        .Select(f => Path.GetRelativePath(RepoPaths.Root, f)).Order(StringComparer.Ordinal), "Broken/free-pid-at-exit.scn", "Broken/cgroup-fork-unlocked.scn"];

    public static TheoryData<string> Files => [.. FileNames];

    /// <summary>Scenarios whose schedules stop actors of the prefix (a task reaped, a pid namespace destroyed).</summary>
    private static readonly string[] ExitRaces = ["cgroup-fork-vs-init-death.scn", "/fork-vs-init-death.scn", "kill-then-wait.scn",
        "reparent-wakeup.scn", "wait-wakeups.scn", "free-pid-at-exit.scn"];

    public static TheoryData<string, string> FilesAndStrategies
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var file in FileNames)
            {
                foreach (var strategy in new[] { "random", "pct", "portfolio", "dfs" })
                {
                    data.Add(file, strategy);
                }
            }
            return data;
        }
    }

    [Fact]
    public void Checkpoints_are_on_by_default_and_off_by_configuration()
    {
        Assert.True(fixture.Runner.Checkpoints);
        using var off = new ModelRunner(KernelConfig.WithDefaults(Off));
        Assert.False(off.Checkpoints);
    }

    /// <summary>An exploration from checkpoints reports what one on fresh kernels reports: the same schedules, cuts,
    /// exhaustion, and every violation (iteration, what, transcript, steps), counting every violating schedule.</summary>
    [Theory]
    [MemberData(nameof(FilesAndStrategies))]
    public void A_checkpointed_exploration_finds_what_fresh_kernels_find(string file, string strategy)
    {
        var scenario = Load(file);
        using var freshRunner = new ModelRunner(KernelConfig.WithDefaults(Off));
        var options = new ExploreOptions(strategy, Iterations: strategy == "dfs" ? 150 : 40, Seed: 23, KeepGoing: true);
        var fresh = new Explorer(freshRunner).Explore(scenario, options);
        var checkpointed = new Explorer(fixture.Runner).Explore(scenario, options);
        output.WriteLine($"{file}, {strategy} seed 23: fresh: {fresh.Summary}; checkpointed: {checkpointed.Summary}");
        SameResult.Assert(fresh, checkpointed);
    }

    /// <summary>Schedule by schedule (random seeds 0-29): from the checkpoint, restored after each schedule, the
    /// execution takes the same steps (prefix included), gives the same transcript and the same error, and leaves the
    /// kernel in the same state as on a fresh kernel. Actors of the prefix that the block stopped are brought back, so
    /// every schedule that ends at rest is followed by a restore (all of them but free-pid-at-exit's violations, after
    /// which a fresh checkpoint is taken).</summary>
    [Theory]
    [MemberData(nameof(Files))]
    public void Each_schedule_from_the_checkpoint_is_the_fresh_kernel_schedule(string file)
    {
        const int Seeds = 30;
        var scenario = Load(file);
        using var freshRunner = new ModelRunner(KernelConfig.WithDefaults(Off));
        var runner = fixture.Runner;
        ScenarioExecution? kept = null;
        var restored = 0;
        var revived = 0;
        try
        {
            for (var seed = 0; seed < Seeds; seed++)
            {
                string expected;
                using (var fresh = new ScenarioExecution(freshRunner.Host, scenario, freshRunner.Settings))
                {
                    expected = RunSchedule(fresh, seed);
                }
                var atRest = kept is { Quiescent: true };
                var restores = kept is not null && kept.TryRestore();
                // Actors of the prefix that the schedule stopped (a task reaped, a namespace destroyed) come back: the
                // restore is refused only when the last schedule did not end at rest (a violation, a failed actor).
                Assert.Equal(atRest, restores);
                if (restores && kept is not null)
                {
                    restored++;
                }
                else
                {
                    revived += kept?.RevivedActors ?? 0;
                    kept?.Dispose();
                    kept = new ScenarioExecution(runner.Host, scenario, runner.Settings);
                    kept.RunPrefixAndCheckpoint();
                    Assert.True(kept.HasCheckpoint);
                }
                var actual = RunSchedule(kept, seed);
                Assert.Equal(expected, actual);
            }
            revived += kept?.RevivedActors ?? 0;
        }
        finally
        {
            kept?.Dispose();
        }
        output.WriteLine($"{file}: {restored} of {Seeds - 1} schedules started from a restored checkpoint, {revived} actors brought back");
        if (ExitRaces.Any(f => file.EndsWith(f, StringComparison.Ordinal)))
        {
            Assert.True(revived > 0, "the schedules stop actors of the prefix: some must have been brought back");
        }
        if (file != "Broken/free-pid-at-exit.scn") // its violating schedules end with a failed actor
        {
            Assert.Equal(Seeds - 1, restored);
        }
    }

    /// <summary>Everything the kernel's actors hold (<see cref="DeepState"/>: every field of every object their
    /// instances reach) is the same after a restore as on a fresh kernel after the prefix, and again after the same
    /// schedule: for seeds 0-9, each run from a checkpoint restored after the previous seed.</summary>
    [Theory]
    [MemberData(nameof(Files))]
    public void The_restored_kernel_holds_exactly_the_fresh_kernel_state(string file)
    {
        var scenario = Load(file);
        using var freshRunner = new ModelRunner(KernelConfig.WithDefaults(Off));
        using var kept = new ScenarioExecution(fixture.Runner.Host, scenario, fixture.Runner.Settings);
        kept.RunPrefixAndCheckpoint();
        RunSchedule(kept, 100);
        var restores = 0;
        for (var seed = 0; seed < 10; seed++)
        {
            using var fresh = new ScenarioExecution(freshRunner.Host, scenario, freshRunner.Settings);
            fresh.RunPrefixAndCheckpoint();
            var atRest = kept.Quiescent;
            if (!kept.TryRestore())
            {
                Assert.False(atRest, "the last schedule ended at rest, yet its kernel was not restored");
                output.WriteLine($"{file}: seed {seed}: the last schedule did not end at rest (a violation); nothing to compare");
                return;
            }
            restores++;
            var atCheckpoint = DeepState.Of(kept.Context.View.Kernel);
            Assert.Equal(DeepState.Of(fresh.Context.View.Kernel), atCheckpoint);
            Assert.Equal(RunSchedule(fresh, seed), RunSchedule(kept, seed));
            var after = DeepState.Of(kept.Context.View.Kernel);
            Assert.Equal(DeepState.Of(fresh.Context.View.Kernel), after);
            Assert.NotEqual(atCheckpoint, after); // the rendering sees what a schedule changes
        }
        output.WriteLine($"{file}: {restores} restores, each equal to a fresh kernel ({DeepState.Of(kept.Context.View.Kernel).Length} characters of state)");
    }

    /// <summary>A schedule that ends in a violation leaves work parked or actors in flight: the checkpoint is not
    /// restored over it.</summary>
    [Fact]
    public void A_schedule_cut_at_the_step_bound_is_not_restored_over()
    {
        var scenario = Load("scenarios/races/canonical-next-id.scn");
        using var execution = new ScenarioExecution(fixture.Runner.Host, scenario, fixture.Runner.Settings);
        execution.RunPrefixAndCheckpoint();
        var strategy = new RandomStrategy(3);
        strategy.PrepareIteration(0);
        Assert.False(execution.RunExplored(strategy, 5));
        Assert.False(execution.TryRestore());
    }

    [Fact]
    public void A_scenario_without_a_parallel_block_takes_no_checkpoint()
    {
        var scenario = ScenarioParser.Parse("inline.scn", "init fork -> a => 2\na exit 0\n");
        using var execution = new ScenarioExecution(fixture.Runner.Host, scenario, fixture.Runner.Settings);
        execution.RunPrefixAndCheckpoint();
        Assert.False(execution.HasCheckpoint);
        Assert.False(execution.TryRestore());
        var strategy = new RandomStrategy(1);
        strategy.PrepareIteration(0);
        Assert.True(execution.RunExplored(strategy, 100));
        Assert.Equal(2, execution.Outcomes.Count);
        Assert.True(execution.Outcomes[0].Passed, execution.Outcomes[0].Line);
        Assert.Equal("a exit 0", execution.Outcomes[1].Step.Text);
    }

    /// <summary>Runs one random schedule (seed) and renders everything that must not depend on where the kernel came
    /// from: every controlled step, the transcript, the error, and the final kernel state.</summary>
    private static string RunSchedule(ScenarioExecution execution, int seed)
    {
        var strategy = new RandomStrategy((ulong)seed);
        strategy.PrepareIteration(0);
        var text = new StringBuilder();
        try
        {
            var completed = execution.RunExplored(strategy, 10_000);
            text.Append(CultureInfo.InvariantCulture, $"completed: {completed}\n");
        }
        catch (Exception e) when (e is InvariantViolationException or ModelFailureException or DeadlockException or ScenarioException)
        {
            text.Append(CultureInfo.InvariantCulture, $"error: {e.GetType().Name}: {e.Message}\n");
        }
        foreach (var s in execution.Schedule)
        {
            text.Append(CultureInfo.InvariantCulture, $"step {s.Actor} {s.Message}\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"block steps: {execution.BlockSchedule.Count}\n");
        foreach (var o in execution.Outcomes)
        {
            text.Append(CultureInfo.InvariantCulture, $"outcome {o.Line}\n");
        }
        AppendKernel(text, execution.Context.View);
        return text.ToString();
    }

    private static void AppendKernel(StringBuilder text, KernelView view)
    {
        foreach (var map in view.PidMaps)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"pidmap {map.Ns}: cursor {map.Cursor} count {map.Count} taken {map.Taken} adding {map.Adding} [{string.Join(",", map.TakenNumbers)}]\n");
        }
        foreach (var ns in view.Namespaces)
        {
            text.Append(CultureInfo.InvariantCulture, $"ns {ns.Handle}\n");
        }
        foreach (var task in view.Tasks!.Tasks.Values.OrderBy(t => t.Id))
        {
            text.Append(CultureInfo.InvariantCulture,
                $"task {task.Id} {task.Pid} {task.ExitState} exiting {task.Exiting} leader {task.Group.Leader.Id} parent {task.Group.RealParent?.Id} actor {task.Actor.Path}\n");
        }
        foreach (var (handle, state) in view.IpcNamespaces)
        {
            foreach (var type in Enum.GetValues<IpcType>())
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"ipc {handle.Id} {type}: next_id {state.ReadNextId(type)} live [{string.Join(",", state.LiveObjects(type).Select(o => o.Id))}]\n");
            }
        }
    }
}
