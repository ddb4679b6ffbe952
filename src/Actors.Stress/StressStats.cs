using System.Collections.Concurrent;
using Actors.Kernel;

namespace Actors.Stress;

/// <summary>Counters shared by the workers of a stress run (thread-safe).</summary>
public sealed class StressStats
{
    private long _ops;
    private long _cycles;
    private readonly ConcurrentDictionary<string, long> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Errno, long> _errors = new();

    /// <summary>Operations (scripts) completed.</summary>
    public long Ops => Interlocked.Read(ref _ops);

    /// <summary>fork + exit + reap cycles completed.</summary>
    public long ForkExitReap => Interlocked.Read(ref _cycles);

    public IReadOnlyDictionary<string, long> Calls => _calls;

    public IReadOnlyDictionary<Errno, long> Errors => _errors;

    public void Call(string name, Errno errno)
    {
        _calls.AddOrUpdate(name, 1, (_, n) => n + 1);
        if (errno != Errno.None)
        {
            _errors.AddOrUpdate(errno, 1, (_, n) => n + 1);
        }
    }

    public long Op() => Interlocked.Increment(ref _ops);

    public void Cycle() => Interlocked.Increment(ref _cycles);
}
