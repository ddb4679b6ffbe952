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
public class ExploreBenchmarks
{
    /// <summary>Schedules per invocation (the same 200 schedules, seed 1, each time).</summary>
    public const int Schedules = 200;

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

    [Benchmark(Baseline = true, OperationsPerInvoke = Schedules)]
    public int Fresh_kernels() => Explore(_fresh, Schedules, 1);

    [Benchmark(OperationsPerInvoke = Schedules)]
    public int Checkpoint() => Explore(_checkpointed, Schedules, 1);

    [Benchmark(OperationsPerInvoke = 2 * Schedules)]
    public int Checkpoint_2_workers() => Explore(_checkpointed, 2 * Schedules, 2);

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
