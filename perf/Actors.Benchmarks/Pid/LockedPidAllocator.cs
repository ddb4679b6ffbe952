using System.Collections.Immutable;
using Actors.Kernel;
using Actors.Kernel.Pid;

namespace Actors.Benchmarks.Pid;

/// <summary>The baseline of <see cref="PidAllocBenchmarks"/>: the same <see cref="PidMap"/> rules behind a
/// <c>lock</c> instead of an actor, as Linux puts them behind pidmap_lock.</summary>
/// <remarks>
/// <see cref="AllocFree"/> does what one alloc+free through <see cref="PidMapActor"/> does, in the same three holds of
/// the lock that the actor's three messages stand for: reserve (alloc_pid()'s idr_alloc loop), commit (alloc_pid()'s
/// idr_replace loop, with get_pid_ns()), release (free_pid(), with put_pid_ns()). A new <see cref="Kernel.Pid.Pid"/> is
/// allocated per call, as the actor protocol's caller must. Thread-safe.
/// </remarks>
public sealed class LockedPidAllocator
{
    private readonly Lock _lock = new();
    private readonly PidMap _map;
    private readonly NsHandle _ns;
    private long _nextPidId;

    public LockedPidAllocator(int pidMax)
    {
        (_ns, _map) = PidAllocBenchmarks.NewMapWithInit(pidMax);
    }

    /// <summary>The pid map. Read it only when no call is running.</summary>
    public PidMap Map => _map;

    /// <summary>Allocates one number by cyclic allocation, makes it visible, and frees it; returns the number.</summary>
    public int AllocFree()
    {
        int nr;
        Errno errno;
        lock (_lock)
        {
            errno = _map.Reserve(null, out nr);
        }
        if (errno != Errno.None)
        {
            throw new InvalidOperationException($"reserve failed: {errno}");
        }
        var pid = new Kernel.Pid.Pid(Interlocked.Increment(ref _nextPidId), ImmutableArray.Create(new UPid(nr, _ns)));
        lock (_lock)
        {
            errno = _map.Commit(nr, pid, innermost: true);
        }
        if (errno != Errno.None)
        {
            throw new InvalidOperationException($"commit failed: {errno}");
        }
        _ns.Get();
        lock (_lock)
        {
            _map.Release(pid.Numbers[0].Nr, innermost: true);
        }
        _ns.Put();
        return nr;
    }

    /// <summary><paramref name="count"/> calls of <see cref="AllocFree"/>; returns the sum of the numbers.</summary>
    public long Run(int count)
    {
        long sum = 0;
        for (var i = 0; i < count; i++)
        {
            sum += AllocFree();
        }
        return sum;
    }
}
