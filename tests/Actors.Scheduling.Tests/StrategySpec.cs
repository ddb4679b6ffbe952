using Akka.Actor;
using Xunit.Abstractions;

namespace Actors.Scheduling.Tests;

public sealed class StrategySpec
{
    private readonly ITestOutputHelper _output;

    public StrategySpec(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Dfs_must_enumerate_exactly_14_schedules_of_2_tasks_with_atomic_alloc_and_find_no_duplicate()
    {
        using var sys = new ControlledSystem();
        var scenario = new PidMapScenario(sys, tasks: 2, atomic: true);
        var dfs = new DfsStrategy();

        var results = scenario.Explore(dfs, iterations: 10_000);

        Assert.True(dfs.Exhausted);
        Assert.Equal(14, results.Count);
        Assert.Equal(14, results.Select(r => r.Order).Distinct().Count());
        Assert.All(results, r => Assert.False(r.Duplicate, r.Order));
        Assert.All(results, r => Assert.Equal(6, r.Outcome.Steps));
        Assert.False(sys.Controller.Tainted);
    }

    [Fact]
    public void Dfs_must_find_duplicate_pids_with_the_racy_split_alloc()
    {
        using var sys = new ControlledSystem();
        var scenario = new PidMapScenario(sys, tasks: 2, atomic: false);
        var dfs = new DfsStrategy();

        var results = scenario.Explore(dfs, iterations: 10_000);
        var buggy = results.Count(r => r.Duplicate);
        _output.WriteLine($"dfs racy 2 tasks: {results.Count} schedules, {buggy} with a duplicate pid");

        Assert.True(dfs.Exhausted);
        Assert.Equal(results.Count, results.Select(r => r.Order).Distinct().Count());
        Assert.InRange(buggy, 1, results.Count - 1);
        Assert.Equal(106, results.Count);
        Assert.Equal(84, buggy);
    }

    [Fact]
    public void Dfs_must_enumerate_636_schedules_of_3_tasks_with_atomic_alloc()
    {
        using var sys = new ControlledSystem();
        var scenario = new PidMapScenario(sys, tasks: 3, atomic: true);
        var results = scenario.Explore(new DfsStrategy(), iterations: 100_000);
        Assert.Equal(636, results.Count);
        Assert.DoesNotContain(results, r => r.Duplicate);
    }

    [Fact]
    public void Dfs_must_detect_a_model_that_does_not_repeat_a_prefix()
    {
        using var sys = new ControlledSystem();
        var toggle = new Toggle();
        var dfs = new DfsStrategy();
        var ex = Assert.Throws<NondeterminismException>(() =>
        {
            for (var i = 0; dfs.PrepareIteration(i); i++)
            {
                var w1 = sys.Host.Spawn(Props.Create<ControlledDispatcherSpec.PingPongActor>(), "w1");
                var w2 = sys.Host.Spawn(Props.Create<ControlledDispatcherSpec.PingPongActor>(), "w2");
                var flaky = sys.Host.Spawn(Props.Create<FlakyActor>(w1, w2, toggle), "flaky");
                var other = sys.Host.Spawn(Props.Create<ControlledDispatcherSpec.PingPongActor>(), "other");
                flaky.Tell("go");
                other.Tell("hi");
                try
                {
                    sys.Controller.Run(dfs);
                }
                finally
                {
                    sys.Host.StopChildren();
                }
            }
        });

        _output.WriteLine(ex.Message);
        Assert.Equal(1, ex.StepIndex);
        Assert.Contains("step 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_must_repeat_a_seed_and_vary_across_seeds()
    {
        using var sys = new ControlledSystem();
        var scenario = new PidMapScenario(sys, tasks: 2, atomic: false);
        var orders = new List<string>();
        for (ulong seed = 1; seed <= 8; seed++)
        {
            var first = RunIteration(scenario, new RandomStrategy(seed), 0);
            var second = RunIteration(scenario, new RandomStrategy(seed), 0);
            _output.WriteLine($"seed {seed}: {first.Order} -> {first.Pids.Count} pids, duplicate={first.Duplicate}");
            Assert.Equal(first.Steps, second.Steps);
            Assert.Equal(first.Pids, second.Pids);
            orders.Add(first.Order);
        }

        var distinct = orders.Distinct().Count();
        _output.WriteLine($"{distinct} distinct orders over seeds 1..8");
        Assert.True(distinct > 1);
    }

    [Fact]
    public void Pct_must_repeat_a_seed_and_vary_across_seeds()
    {
        using var sys = new ControlledSystem();
        var scenario = new PidMapScenario(sys, tasks: 2, atomic: false);
        var orders = new List<string>();
        for (ulong seed = 1; seed <= 8; seed++)
        {
            var first = RunIteration(scenario, new PctStrategy(seed, 2, 20), 0);
            var second = RunIteration(scenario, new PctStrategy(seed, 2, 20), 0);
            Assert.Equal(first.Steps, second.Steps);
            orders.Add(first.Order);
        }

        var distinct = orders.Distinct().Count();
        _output.WriteLine($"pct(d=2): {distinct} distinct orders over seeds 1..8");
        Assert.True(distinct > 1);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(42UL)]
    [InlineData(20260101UL)]
    public void Random_must_find_the_duplicate_pid_within_a_small_budget(ulong seed)
    {
        _output.WriteLine($"seed {seed}");
        AssertFindsDuplicate(new RandomStrategy(seed), budget: 30);
    }

    [Theory]
    [InlineData(1UL, 2)]
    [InlineData(42UL, 2)]
    [InlineData(7UL, 3)]
    public void Pct_must_find_the_duplicate_pid_within_a_small_budget(ulong seed, int depth)
    {
        _output.WriteLine($"seed {seed}, depth {depth}");
        AssertFindsDuplicate(new PctStrategy(seed, depth, maxSteps: 20), budget: 30);
    }

    [Theory]
    [InlineData(3UL)]
    public void Portfolio_and_fair_fallback_must_find_the_duplicate_pid(ulong seed)
    {
        _output.WriteLine($"seed {seed}");
        AssertFindsDuplicate(new PortfolioStrategy(seed, maxSteps: 20), budget: 30);
        AssertFindsDuplicate(new FairFallback(new PctStrategy(seed, 1, 20), unfairSteps: 2, seed), budget: 30);
    }

    [Theory]
    [InlineData(42UL)]
    public void Replay_must_reproduce_a_found_schedule_by_labels_and_by_choices(ulong seed)
    {
        _output.WriteLine($"seed {seed}");
        using var sys = new ControlledSystem();
        var scenario = new PidMapScenario(sys, tasks: 3, atomic: false);
        var found = scenario.Explore(new RandomStrategy(seed), iterations: 50, stopAtFirstBug: true)[^1];
        Assert.True(found.Duplicate);
        _output.WriteLine($"found at iteration {found.Iteration}: {found.Order}");

        // From "seed, iteration" alone.
        var strategy = new RandomStrategy(seed);
        Assert.True(strategy.PrepareIteration(found.Iteration));
        var again = scenario.RunOnce(strategy, found.Iteration);
        Assert.Equal(found.Steps, again.Steps);

        var byLabels = RunIteration(scenario, ReplayStrategy.FromRecords(found.Steps), 0);
        Assert.Equal(found.Order, byLabels.Order);
        Assert.Equal(found.Pids, byLabels.Pids);
        Assert.True(byLabels.Duplicate);

        var byChoices = RunIteration(scenario, ChoiceReplayStrategy.FromRecords(found.Steps), 0);
        Assert.Equal(found.Steps, byChoices.Steps);
    }

    [Fact]
    public void Replay_must_name_the_step_where_the_recorded_schedule_diverges()
    {
        using var sys = new ControlledSystem();
        var scenario = new PidMapScenario(sys, tasks: 2, atomic: false);
        var trace = new List<(string, string)>
        {
            ("host/t1", "PidMapProtocol.Start"),
            ("host/pidmap", "PidMapProtocol.Commit"),
        };
        var ex = Assert.Throws<ReplayDivergenceException>(() => RunIteration(scenario, new ReplayStrategy(trace), 0));
        _output.WriteLine(ex.Message);
        Assert.Equal(1, ex.StepIndex);
        Assert.Contains("'host/pidmap: PidMapProtocol.Commit' is not enabled", ex.Message, StringComparison.Ordinal);
        Assert.Contains("host/pidmap PidMapProtocol.ReadLast", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Strategies_must_describe_themselves_with_their_parameters()
    {
        Assert.Equal("fifo", FifoStrategy.Instance.Describe());
        Assert.Equal("random(seed=42)", new RandomStrategy(42).Describe());
        Assert.Equal("pct(seed=1,depth=3)", new PctStrategy(1, 3, 100).Describe());
        Assert.Equal("dfs", new DfsStrategy().Describe());
        var portfolio = new PortfolioStrategy(5, 100);
        portfolio.PrepareIteration(4);
        Assert.Equal("portfolio(seed=5):pct(seed=5,depth=2)", portfolio.Describe());
        Assert.Equal("fair(random(seed=1),after=10,seed=2)", new FairFallback(new RandomStrategy(1), 10, 2).Describe());
    }

    private static ScheduleResult RunIteration(PidMapScenario scenario, ISchedulingStrategy strategy, int iteration)
    {
        Assert.True(strategy.PrepareIteration(iteration));
        return scenario.RunOnce(strategy, iteration);
    }

    private void AssertFindsDuplicate(ISchedulingStrategy strategy, int budget)
    {
        using var sys = new ControlledSystem();
        var scenario = new PidMapScenario(sys, tasks: 2, atomic: false);
        var results = scenario.Explore(strategy, budget, stopAtFirstBug: true);
        var last = results[^1];
        _output.WriteLine($"{strategy.Describe()}: duplicate={last.Duplicate} at iteration {last.Iteration}: {last.Order}");
        Assert.True(last.Duplicate, $"{strategy.Describe()} found no duplicate in {budget} schedules");
    }

    private sealed class Toggle
    {
        public bool Value { get; private set; }

        public void Flip() => Value = !Value;
    }

    /// <summary>Deliberately nondeterministic: what it sends depends on state kept across schedules.</summary>
    private sealed class FlakyActor : UntypedActor
    {
        private readonly IActorRef _a;
        private readonly IActorRef _b;
        private readonly Toggle _toggle;

        public FlakyActor(IActorRef a, IActorRef b, Toggle toggle)
        {
            _a = a;
            _b = b;
            _toggle = toggle;
        }

        protected override void OnReceive(object message)
        {
            _toggle.Flip();
            _a.Tell("x");
            if (_toggle.Value)
            {
                _b.Tell("y");
            }
        }
    }
}
