using System.Text;
using Xunit.Abstractions;

namespace Actors.Scheduling.Tests;

/// <summary>Strategies on a synthetic model without Akka: independent actors, each with a number of steps.</summary>
public sealed class StrategyUnitTests
{
    private readonly ITestOutputHelper _output;

    public StrategyUnitTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(new[] { 3, 3 }, 20)]
    [InlineData(new[] { 2, 2, 2 }, 90)]
    [InlineData(new[] { 1, 4 }, 5)]
    public void Dfs_must_enumerate_every_interleaving_of_independent_actors_once(int[] steps, int expected)
    {
        var dfs = new DfsStrategy();
        var schedules = new List<string>();
        for (var i = 0; dfs.PrepareIteration(i); i++)
        {
            schedules.Add(Run(dfs, steps));
        }

        Assert.Equal(expected, schedules.Count);
        Assert.Equal(expected, schedules.Distinct().Count());
        Assert.True(dfs.Exhausted);
        Assert.False(dfs.PrepareIteration(schedules.Count));
        Assert.True(dfs.PrepareIteration(0)); // restart
    }

    [Fact]
    public void Dfs_must_count_a_schedule_cut_short_as_explored_up_to_its_end()
    {
        var dfs = new DfsStrategy();
        var count = 0;
        for (var i = 0; dfs.PrepareIteration(i); i++)
        {
            Run(dfs, [2, 2], maxSteps: 2);
            count++;
        }

        Assert.Equal(4, count); // AA, AB, BA, BB
    }

    [Fact]
    public void Pct_with_depth_1_must_run_one_label_until_it_is_disabled()
    {
        for (ulong seed = 1; seed <= 8; seed++)
        {
            var pct = new PctStrategy(seed, depth: 1, maxSteps: 10);
            Assert.True(pct.PrepareIteration(0));
            var schedule = Run(pct, [3, 3, 3]);
            _output.WriteLine($"seed {seed}: {schedule}");
            Assert.Matches("^(AAA|BBB|CCC)(AAA|BBB|CCC)(AAA|BBB|CCC)$", schedule);
        }
    }

    [Fact]
    public void Pct_must_draw_change_points_below_the_longest_schedule_seen()
    {
        var pct = new PctStrategy(9, depth: 4, maxSteps: 1000);
        pct.PrepareIteration(0);
        Assert.All(pct.ChangePoints, p => Assert.InRange(p, 0, 999));
        Run(pct, [3, 3]);
        for (var i = 1; i < 50; i++)
        {
            pct.PrepareIteration(i);
            Assert.Equal(3, pct.ChangePoints.Count);
            Assert.Equal(3, pct.ChangePoints.Distinct().Count());
            Assert.All(pct.ChangePoints, p => Assert.InRange(p, 0, 5));
        }
    }

    /// <summary>With a given schedule length, iteration i's change points and schedule depend on the seed and i only:
    /// not on which iterations ran before, nor on how long they were.</summary>
    [Fact]
    public void Pct_with_a_schedule_length_must_make_iterations_independent()
    {
        var fresh = new PctStrategy(9, depth: 4, maxSteps: 1000, scheduleLength: 7);
        var used = new PctStrategy(9, depth: 4, maxSteps: 1000, scheduleLength: 7);
        Assert.True(fresh.IndependentIterations);
        Assert.False(new PctStrategy(9, depth: 4, maxSteps: 1000).IndependentIterations);
        Assert.Equal("pct(seed=9,depth=4,k=7)", fresh.Describe());
        for (var i = 0; i < 30; i++)
        {
            used.PrepareIteration(i);
            Run(used, [5, 5, 5]); // 15 steps: longer than the given length, which must not grow
        }
        for (var i = 29; i >= 0; i--)
        {
            fresh.PrepareIteration(i);
            used.PrepareIteration(i);
            Assert.Equal(3, fresh.ChangePoints.Distinct().Count());
            Assert.All(fresh.ChangePoints, p => Assert.InRange(p, 0, 6));
            Assert.Equal(fresh.ChangePoints, used.ChangePoints);
            Assert.Equal(Run(fresh, [3, 3, 2]), Run(used, [3, 3, 2]));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new PctStrategy(9, 2, 1000, scheduleLength: 0));
    }

    [Fact]
    public void Random_must_give_the_same_schedule_for_the_same_seed_and_iteration()
    {
        var a = new RandomStrategy(77);
        var b = new RandomStrategy(77);
        var distinct = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            a.PrepareIteration(i);
            b.PrepareIteration(i);
            var schedule = Run(a, [3, 3, 3]);
            Assert.Equal(schedule, Run(b, [3, 3, 3]));
            distinct.Add(schedule);
        }

        Assert.True(distinct.Count > 10, $"only {distinct.Count} distinct schedules");
    }

    [Fact]
    public void FairFallback_must_use_the_inner_strategy_only_for_the_first_steps()
    {
        // DFS's first schedule always picks index 0 ("A"); after 2 steps the seeded random part takes over.
        var schedules = new HashSet<string>();
        for (var seed = 0; seed < 10; seed++)
        {
            var fair = new FairFallback(new DfsStrategy(), unfairSteps: 2, seed: (ulong)seed);
            fair.PrepareIteration(0);
            var schedule = Run(fair, [4, 4]);
            Assert.StartsWith("AA", schedule, StringComparison.Ordinal);
            schedules.Add(schedule);
        }

        Assert.True(schedules.Count > 1);
    }

    [Fact]
    public void ChoiceReplay_must_reject_a_choice_that_is_not_enabled()
    {
        var replay = new ChoiceReplayStrategy([1, 1, 1], [2, 2, 2]);
        Assert.True(replay.PrepareIteration(0));
        var ex = Assert.Throws<ReplayDivergenceException>(() => Run(replay, [1, 1]));
        _output.WriteLine(ex.Message);
        Assert.Equal(1, ex.StepIndex);
    }

    /// <summary>Runs the synthetic model: actor i (labelled 'A' + i) has steps[i] steps; returns the labels run.</summary>
    private static string Run(ISchedulingStrategy strategy, int[] steps, int maxSteps = int.MaxValue)
    {
        var left = (int[])steps.Clone();
        var sequence = 0L;
        var sb = new StringBuilder();
        var enabled = new List<SchedulableItem>();
        var owners = new List<int>();
        for (var step = 0; step < maxSteps; step++)
        {
            enabled.Clear();
            owners.Clear();
            for (var i = 0; i < left.Length; i++)
            {
                if (left[i] > 0)
                {
                    enabled.Add(new SchedulableItem(sequence++, ((char)('A' + i)).ToString(), "Step"));
                    owners.Add(i);
                }
            }

            if (enabled.Count == 0)
            {
                break;
            }

            var owner = owners[strategy.Choose(enabled, step)];
            left[owner]--;
            sb.Append((char)('A' + owner));
        }

        return sb.ToString();
    }
}
