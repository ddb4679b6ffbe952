using Actors.Benchmarks.Configs;
using Actors.Benchmarks.Infrastructure;
using Actors.Kernel;
using Actors.Scenarios;
using Akka.Configuration;
using BenchmarkDotNet.Attributes;

namespace Actors.Benchmarks.Scenarios;

/// <summary>Explorer schedules per second on scenarios/races/canonical-next-id.scn: random strategy, seed 1, each
/// schedule on a fresh kernel (the baseline: <c>actors.explorer.checkpoint = off</c>) against each schedule started from
/// the checkpoint after the scenario's prefix (the default), on one worker and on two.</summary>
/// <remarks>The quick mode (<c>quick explore</c>) gives the same figures with steps per schedule and a phase split; this
/// class exists to profile a schedule (<c>-p EP</c>). Target (issue 4): 20,000 schedules per second.</remarks>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)]
public class ExploreBenchmarks
{
    /// <summary>Schedules per invocation (the same 2,000 schedules, seed 1, each time): enough that the once-per-exploration
    /// work (the checkpoint: a new kernel and the prefix, per worker; the workers' threads) weighs little, as in the CLI's
    /// explorations of 10,000 schedules and more. <see cref="One_schedule_checkpoint"/> measures that work.</summary>
    public const int Schedules = 2000;

    private ModelRunner _fresh = null!;
    private ModelRunner _checkpointed = null!;
    private Scenario _scenario = null!;

    [GlobalSetup]
    public void Setup()
    {
        _scenario = ScenarioParser.ParseFile(FindScenario("scenarios/races/canonical-next-id.scn"));
        _fresh = new ModelRunner(ConfigurationFactory.ParseString(ExploreRun.Hocon + "\nactors.explorer.checkpoint = off").WithFallback(KernelConfig.Default()));
        _checkpointed = new ModelRunner(ConfigurationFactory.ParseString(ExploreRun.Hocon).WithFallback(KernelConfig.Default()));
        var warm = System.Diagnostics.Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromSeconds(5))
        {
            Explore(_fresh, Schedules, 1);
            Explore(_checkpointed, 2 * Schedules, 2);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fresh.Dispose();
        _checkpointed.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Schedules), BenchmarkCategory("schedule")]
    public int Fresh_kernels() => Explore(_fresh, Schedules, 1);

    [Benchmark(OperationsPerInvoke = Schedules), BenchmarkCategory("schedule")]
    public int Checkpoint() => Explore(_checkpointed, Schedules, 1);

    [Benchmark(OperationsPerInvoke = 2 * Schedules), BenchmarkCategory("schedule")]
    public int Checkpoint_2_workers() => Explore(_checkpointed, 2 * Schedules, 2);

    /// <summary>An exploration of one schedule with checkpoints on: the once-per-exploration cost (a new kernel, the
    /// prefix, the snapshot, the schedule, the kernel's teardown), against <see cref="One_schedule_fresh"/>.</summary>
    [Benchmark, BenchmarkCategory("exploration of one schedule")]
    public int One_schedule_checkpoint() => Explore(_checkpointed, 1, 1);

    [Benchmark(Baseline = true), BenchmarkCategory("exploration of one schedule")]
    public int One_schedule_fresh() => Explore(_fresh, 1, 1);

    private int Explore(ModelRunner runner, int schedules, int workers)
    {
        var result = new Explorer(runner).Explore(_scenario, new ExploreOptions("random", schedules, 1, Workers: workers));
        if (result.Schedules != schedules || result.Violations.Count > 0)
        {
            throw new InvalidOperationException($"exploration: {result.Summary}");
        }
        return result.Schedules;
    }

    /// <summary>BenchmarkDotNet runs from a generated project's folder: look for the file up from there.</summary>
    private static string FindScenario(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, relative);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }
}
