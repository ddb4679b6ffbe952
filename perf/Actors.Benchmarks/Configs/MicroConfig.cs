using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;

namespace Actors.Benchmarks.Configs;

/// <summary>Small operations: allocations per operation and a GitHub markdown table (Akka.Benchmarks' MicroBenchmarkConfig).</summary>
public sealed class MicroConfig : ManualConfig
{
    public MicroConfig()
    {
        AddDiagnoser(MemoryDiagnoser.Default);
        AddExporter(MarkdownExporter.GitHub);
    }
}
