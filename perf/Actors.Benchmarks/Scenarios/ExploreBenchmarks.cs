using Actors.Benchmarks.Configs;
using Actors.Benchmarks.Infrastructure;
using Actors.Kernel;
using Actors.Scenarios;
using Akka.Configuration;
using BenchmarkDotNet.Attributes;

namespace Actors.Benchmarks.Scenarios;

/// <summary>Explorer schedules per second on scenarios/races/canonical-next-id.scn: random strategy, a fresh kernel
/// per schedule, as <c>actors explore FILE --strategy random --seed 1</c> runs them.</summary>
/// <remarks>The quick mode (<c>quick explore</c>) gives the same figure with steps per schedule and a phase split; this
/// class exists to profile a schedule (<c>-p EP</c>). Target (issue 4): 20,000 schedules per second.</remarks>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class ExploreBenchmarks
{
    /// <summary>Schedules per invocation (the same 200 schedules, seed 1, each time).</summary>
    public const int Schedules = 200;

    private ModelRunner _runner = null!;
    private Scenario _scenario = null!;

    [GlobalSetup]
    public void Setup()
    {
        _scenario = ScenarioParser.ParseFile(FindScenario("scenarios/races/canonical-next-id.scn"));
        _runner = new ModelRunner(ConfigurationFactory.ParseString(ExploreRun.Hocon).WithFallback(KernelConfig.Default()));
        var warm = System.Diagnostics.Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromSeconds(5))
        {
            Explore();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _runner.Dispose();

    [Benchmark(OperationsPerInvoke = Schedules)]
    public int Explore_random_canonical_next_id() => Explore();

    private int Explore()
    {
        var result = new Explorer(_runner).Explore(_scenario, new ExploreOptions("random", Schedules, 1));
        if (result.Schedules != Schedules || result.Violations.Count > 0)
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
