using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;

namespace Actors.Benchmarks.Configs;

/// <summary>Message-passing operations normalised with <c>OperationsPerInvoke</c>: adds an operations-per-second
/// column (Akka.Benchmarks' MonitoringConfig "Req/sec") to the Micro config's allocations and markdown table.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        AddDiagnoser(MemoryDiagnoser.Default);
        AddExporter(MarkdownExporter.GitHub);
        AddColumn(StatisticColumn.OperationsPerSecond);
    }
}
