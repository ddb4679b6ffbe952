using Actors.Kernel;
using Actors.Kernel.Specifications;
using Actors.Scheduling;
using Akka.Configuration;
using Xunit;
using Xunit.Abstractions;

namespace Actors.Scenarios.Tests;

/// <summary>What makes the explorer faster must not change what it finds: the owner-based step checks
/// (<c>actors.explorer.step-checks = owner</c>) against checking everything after every step, and several workers
/// against one. Seeds are fixed and printed.</summary>
public sealed class ExplorerSpeedupTests(RunnerFixture fixture, ITestOutputHelper output) : IClassFixture<RunnerFixture>
{
    private static Scenario Load(string relative) => ScenarioParser.ParseFile(Path.Combine(RepoPaths.Root, relative));

    private static Scenario LoadBroken(string file) => ScenarioParser.ParseFile(Path.Combine(AppContext.BaseDirectory, "Broken", file));

    public static TheoryData<string> RaceFiles => [.. Directory.GetFiles(Path.Combine(RepoPaths.Root, "scenarios/races"), "*.scn")
        .Select(f => Path.GetRelativePath(RepoPaths.Root, f)).Order(StringComparer.Ordinal)];

    [Theory]
    [InlineData("host/kernel/tasks", StateOwner.TaskList, 0)]
    [InlineData("host/kernel/tasks/t12", StateOwner.Task, 12)]
    [InlineData("host/kernel/ns0", StateOwner.Namespace, 0)]
    [InlineData("host/kernel/ns0/ns3/ns4", StateOwner.Namespace, 4)]
    [InlineData("host/kernel/ns0/ns3/pidmap", StateOwner.PidMap, 3)]
    [InlineData("host/kernel/cgroups", StateOwner.CgroupCore, 0)]
    [InlineData("host/kernel/cgroups/cg7", StateOwner.Cgroup, 7)]
    [InlineData("host/kernel/ipc2", StateOwner.Ipc, 2)]
    [InlineData("host/driver", StateOwner.Driver, 0)]
    [InlineData("host/kernel", StateOwner.Unknown, 0)]
    [InlineData("host/kernel/t5", StateOwner.Unknown, 0)]
    [InlineData("host/kernel/cg5", StateOwner.Unknown, 0)]
    [InlineData("host/kernel/pidmap", StateOwner.Unknown, 0)]
    [InlineData("host/kernel/ns-1", StateOwner.Unknown, 0)]
    [InlineData("", StateOwner.Unknown, 0)]
    public void Actor_labels_name_the_state_their_actor_owns(string label, StateOwner kind, int id) =>
        Assert.Equal((kind, id), KernelInvariants.OwnerOf(label));

    /// <summary>Every actor that steps in a real exploration is one whose state the owner checks know (the kernel
    /// actor itself, which boots, gets the full check), so a renamed actor cannot silently lose its checks.</summary>
    [Theory]
    [MemberData(nameof(RaceFiles))]
    public void Every_stepping_actor_has_a_known_owner(string file)
    {
        var scenario = Load(file);
        var strategy = new RandomStrategy(21);
        strategy.PrepareIteration(0);
        using var execution = new ScenarioExecution(fixture.Runner.Host, scenario, fixture.Runner.Settings);
        try
        {
            execution.RunExplored(strategy, 10_000);
        }
        catch (Exception e) when (e is InvariantViolationException or DeadlockException or ScenarioException)
        {
            output.WriteLine($"{file}: {e.Message}");
        }
        var labels = execution.Schedule.Select(s => s.Actor).Distinct().Order(StringComparer.Ordinal).ToArray();
        output.WriteLine($"{file}: {string.Join(", ", labels)}");
        Assert.NotEmpty(execution.BlockSchedule);
        Assert.Equal([], labels.Where(l => KernelInvariants.OwnerOf(l).Kind == StateOwner.Unknown && l != "host/kernel"));
    }

    /// <summary>The owner checks find, in the same schedules, every violation that checking every invariant after every
    /// step finds: on every race scenario and on both deliberately broken models.</summary>
    [Theory]
    [MemberData(nameof(RaceFiles))]
    [InlineData("Broken/free-pid-at-exit.scn")]
    [InlineData("Broken/cgroup-fork-unlocked.scn")]
    public void Owner_checks_find_the_violations_that_all_checks_find(string file)
    {
        var scenario = file.StartsWith("Broken/", StringComparison.Ordinal) ? LoadBroken(file["Broken/".Length..]) : Load(file);
        using var all = new ModelRunner(KernelConfig.WithDefaults("actors.kernel.check-invariants = on\nactors.explorer.step-checks = all"));
        Assert.Equal(StepChecks.All, all.StepChecks);
        Assert.Equal(StepChecks.Owner, fixture.Runner.StepChecks);
        var options = new ExploreOptions("random", Iterations: 60, Seed: 17, KeepGoing: true);
        var full = new Explorer(all).Explore(scenario, options);
        var owner = new Explorer(fixture.Runner).Explore(scenario, options);
        output.WriteLine($"{file}, random seed 17: all: {full.Summary}; owner: {owner.Summary}");
        Assert.Equal(full.Schedules, owner.Schedules);
        Assert.Equal(full.Violations.Select(v => v.Iteration), owner.Violations.Select(v => v.Iteration));
        Assert.Equal(full.Violations.Select(v => v.What.StartsWith("invariant", StringComparison.Ordinal)),
            owner.Violations.Select(v => v.What.StartsWith("invariant", StringComparison.Ordinal)));
    }

    [Fact]
    public void An_unknown_step_checks_value_is_a_configuration_error()
    {
        var e = Assert.Throws<ConfigurationException>(() => new ModelRunner(KernelConfig.WithDefaults("actors.explorer.step-checks = some")));
        Assert.Contains("actors.explorer.step-checks: 'some' is not owner or all", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Two workers report what one reports: the same schedules, violations (iteration, what, steps) and count,
    /// when counting every violation and when stopping at the first, with every strategy whose iterations are
    /// independent (PCT's with the schedule length the explorer measures first).</summary>
    [Theory]
    [InlineData("scenarios/races/next-id-process-scope.scn", "random", true)]
    [InlineData("scenarios/races/next-id-process-scope.scn", "random", false)]
    [InlineData("scenarios/races/msg-next-id-restorers.scn", "random", true)]
    [InlineData("scenarios/races/restore-next-id.scn", "random", true)]
    [InlineData("scenarios/races/next-id-process-scope.scn", "pct", true)]
    [InlineData("scenarios/races/msg-next-id-restorers.scn", "pct", false)]
    [InlineData("scenarios/races/ns-last-pid-restore.scn", "portfolio", true)]
    [InlineData("scenarios/races/fork-vs-init-death.scn", "portfolio", true)]
    public void Several_workers_give_the_one_worker_result(string file, string strategy, bool keepGoing)
    {
        var scenario = Load(file);
        var options = new ExploreOptions(strategy, Iterations: Explorer.MinParallelIterations + 50, Seed: 8, KeepGoing: keepGoing);
        var one = new Explorer(fixture.Runner).Explore(scenario, options);
        var two = new Explorer(fixture.Runner).Explore(scenario, options with { Workers = 2 });
        output.WriteLine($"{file}, {strategy} seed 8: 1 worker: {one.Summary}; 2 workers: {two.Summary}");
        SameResult.Assert(one, two);
    }

    [Fact]
    public void Workers_are_used_only_for_strategies_with_independent_iterations()
    {
        Assert.True(new RandomStrategy(1).IndependentIterations);
        Assert.True(new FairFallback(new RandomStrategy(1), 10, 1).IndependentIterations);
        Assert.False(new FairFallback(new PctStrategy(1, 3, 100), 10, 1).IndependentIterations);
        Assert.True(new FairFallback(new PctStrategy(1, 3, 100, scheduleLength: 49), 10, 1).IndependentIterations);
        Assert.False(new PortfolioStrategy(1, 100).IndependentIterations);
        Assert.True(new PortfolioStrategy(1, 100, scheduleLength: 49).IndependentIterations);
        Assert.True(new ExploreOptions("pct").CreateStrategy(49) is IIndependentIterations { IndependentIterations: true });
        Assert.True(new ExploreOptions("portfolio").CreateStrategy(49) is IIndependentIterations { IndependentIterations: true });
        Assert.False(new ExploreOptions("dfs").CreateStrategy(49) is IIndependentIterations { IndependentIterations: true });

        // DFS with two workers still exhausts the same schedules (it runs on one).
        var scenario = Load("scenarios/races/ns-last-pid-restore.scn");
        var options = new ExploreOptions("dfs", Iterations: 100_000, KeepGoing: true);
        var one = new Explorer(fixture.Runner).Explore(scenario, options);
        var two = new Explorer(fixture.Runner).Explore(scenario, options with { Workers = 2 });
        Assert.True(two.Exhausted);
        Assert.Equal(one.Schedules, two.Schedules);
        Assert.Equal(one.ViolationCount, two.ViolationCount);
    }

    /// <summary>A strategy observer that says it needs no footprints gets none, and the schedule is the same.</summary>
    [Fact]
    public void Footprints_are_collected_only_for_observers_that_want_them()
    {
        var scenario = Load("scenarios/races/ns-last-pid-restore.scn");
        List<StepRecord> Run(bool wants)
        {
            var strategy = new Observer(new RandomStrategy(4), wants);
            strategy.PrepareIteration(0);
            using var execution = new ScenarioExecution(fixture.Runner.Host, scenario, fixture.Runner.Settings);
            execution.RunExplored(strategy, 10_000);
            Assert.Equal(execution.BlockSchedule.Count, strategy.Seen.Count);
            return strategy.Seen;
        }
        var with = Run(wants: true);
        var without = Run(wants: false);
        Assert.Equal(with.Select(s => (s.Actor, s.Message)), without.Select(s => (s.Actor, s.Message)));
        Assert.Contains(with, s => s.SentTo.Count > 0);
        Assert.All(without, s => Assert.Empty(s.SentTo));
        Assert.All(without, s => Assert.Empty(s.SystemSentTo));
    }

    private sealed class Observer(ISchedulingStrategy inner, bool wants) : ISchedulingStrategy, IStepObserver
    {
        public List<StepRecord> Seen { get; } = [];

        public bool WantsFootprints => wants;

        public bool PrepareIteration(int iteration) => inner.PrepareIteration(iteration);

        public int Choose(IReadOnlyList<SchedulableItem> enabled, int stepIndex) => inner.Choose(enabled, stepIndex);

        public string Describe() => inner.Describe();

        public void OnStep(StepRecord step) => Seen.Add(step);
    }
}
