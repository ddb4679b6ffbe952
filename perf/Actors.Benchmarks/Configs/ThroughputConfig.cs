using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;

namespace Actors.Benchmarks.Configs;

/// <summary>Message-passing operations normalised with <c>OperationsPerInvoke</c>: adds an operations-per-second
/// column (Akka.Benchmarks' MonitoringConfig "Req/sec") to the Micro config's allocations; exporters as in
/// <see cref="MicroConfig"/>.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.OperationsPerSecond);
    }
}
