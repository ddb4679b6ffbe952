using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;

namespace Actors.Benchmarks.Configs;

/// <summary>Small operations: allocations per operation (Akka.Benchmarks' MicroBenchmarkConfig). The GitHub markdown,
/// csv and html exporters come with BenchmarkDotNet's default config, which every ManualConfig is merged with (adding
/// the markdown exporter again only draws a duplicate-exporter warning).</summary>
public sealed class MicroConfig : ManualConfig
{
    public MicroConfig()
    {
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
