using Actors.Benchmarks.Configs;
using BenchmarkDotNet.Attributes;

namespace Actors.Benchmarks.Tasks;

/// <summary>fork with next_id (write "LONG&lt;n&gt; X ... X" to /proc/thread-self/next_id, then fork, then exit + reap)
/// against the same cycle without next_id, at depth 1 and 4.</summary>
/// <remarks>
/// <para>Setup, depth, parents and the cycle are <see cref="ForkExitReapBenchmarks"/>'s (exit and a blocking wait sent
/// at once after the fork; cgroups as in the reference config, <see cref="CgroupSetup.On"/>). The next_id variant first writes next_id as the parent (one more system call), naming the
/// same id X at <b>every</b> level (<c>LONG X</c> at depth 1, <c>LONG4 X X X X</c> at depth 4); X is free at every level:
/// parent p cycles through <c>1000 + 1000p .. 1999 + 1000p</c> (<see cref="ForkExitReapBenchmarks.CycleDriver.NextId"/>),
/// and fork must return X (checked on every cycle; GlobalSetup also checks every level of the children's pids).
/// <c>quick fork ... nextid-inner</c> measures the innermost-only form (<c>LONG X</c> at depth 4).</para>
/// <para>Both methods run in one process per case, warmed up together, with the same kernel setup; the ratio is
/// the cost of next_id per cycle.</para>
/// </remarks>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class ForkNextIdBenchmarks
{
    private ForkExitReapBenchmarks _cycles = null!;

    /// <summary>Pid namespace levels a forked child gets a number in.</summary>
    [Params(1, 4)]
    public int Depth { get; set; }

    /// <summary>Parent tasks doing cycles in parallel.</summary>
    [Params(1, 16)]
    public int Parents { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _cycles = new ForkExitReapBenchmarks
        {
            Depth = Depth,
            Parents = Parents,
            WarmUpModes = [CycleMode.NextIdAllLevels, CycleMode.Blocking],
        };
        _cycles.Setup();
    }

    [GlobalCleanup]
    public void Cleanup() => _cycles.Cleanup();

    [Benchmark(Baseline = true, OperationsPerInvoke = ForkExitReapBenchmarks.Ops)]
    public long Fork_exit_reap() =>
        _cycles.RunCycles(ForkExitReapBenchmarks.Ops, check: false, CycleMode.Blocking).Cycles;

    [Benchmark(OperationsPerInvoke = ForkExitReapBenchmarks.Ops)]
    public long Next_id_fork_exit_reap() =>
        _cycles.RunCycles(ForkExitReapBenchmarks.Ops, check: false, CycleMode.NextIdAllLevels).Cycles;
}
