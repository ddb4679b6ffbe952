using System.Numerics;

namespace Actors.Kernel.Pid;

/// <summary>The pid numbers of one pid namespace: which are reserved or visible, the cyclic cursor, pid_max, and
/// the allocated count with its "adding" flag.</summary>
/// <remarks>
/// Linux: <c>pid_namespace.idr</c>, <c>idr_next</c> (the cursor), <c>pid_allocated</c> with <c>PIDNS_ADDING</c>, and
/// <c>pid_max</c> (per namespace since 6.14), all protected by <c>pidmap_lock</c> (kernel/pid.c:alloc_pid(),
/// free_pid(), disable_pid_allocation(); kernel/pid_namespace.c:pid_ns_ctl_handler()). A number is first
/// <em>reserved</em> (<c>idr_alloc</c> with a NULL pointer: taken, but <c>find_pid_ns</c> does not see it) and later made
/// <em>visible</em> (<c>idr_replace</c>, counted in <c>pid_allocated</c>).
/// Owned by one <see cref="PidMapActor"/>; not thread-safe.
/// Not modelled: the capability check of set_tid (every model task is privileged).
/// Invariant: <see cref="Count"/> equals the number of visible entries.
/// Invariant: every visible entry's pid has this number at this namespace's level.
/// </remarks>
public sealed class PidMap
{
    /// <summary>RESERVED_PIDS (kernel/pid.c), the default of <c>actors.kernel.reserved-pids</c>: numbers below it are
    /// skipped once the cursor went past it.</summary>
    public const int DefaultReservedPids = 300;

    /// <summary>PID_MAX_LIMIT on 64-bit (include/linux/threads.h): the upper bound of pid_max and a child namespace's default.</summary>
    public const int PidMaxLimit = 4 * 1024 * 1024;

    private ulong[] _bits = new ulong[8];
    private readonly Dictionary<int, Pid> _visible = [];
    private int _taken;

    public PidMap(NsHandle ns, int pidMax, int reservedPids = DefaultReservedPids)
    {
        Ns = ns;
        PidMax = pidMax;
        ReservedPids = reservedPids;
        Adding = true;
    }

    /// <summary>RESERVED_PIDS for this kernel. Immutable.</summary>
    public int ReservedPids { get; }

    /// <summary>The namespace whose numbers these are. Immutable.</summary>
    public NsHandle Ns { get; }

    /// <summary>idr_next: the next number cyclic allocation tries.</summary>
    public int Cursor { get; private set; }

    /// <summary>Exclusive upper bound of the numbers of this namespace.</summary>
    public int PidMax { get; private set; }

    /// <summary>PIDNS_ADDING: allocation allowed. Cleared for good when the namespace's init dies or its first process fails.</summary>
    public bool Adding { get; private set; }

    /// <summary>pid_allocated without the flag bit: the number of visible pids.</summary>
    public int Count { get; private set; }

    /// <summary>Numbers taken, reserved or visible.</summary>
    public int Taken => _taken;

    /// <summary>Whether <c>ns-&gt;child_reaper</c> is set (it is never cleared once set). Told by the task list.</summary>
    public bool HasChildReaper { get; set; }

    /// <summary>True when <paramref name="nr"/> is reserved or visible.</summary>
    public bool IsTaken(int nr) => nr >= 0 && (nr >> 6) < _bits.Length && (_bits[nr >> 6] & (1UL << (nr & 63))) != 0;

    /// <summary>The pid visible under <paramref name="nr"/>, or null.</summary>
    public Pid? Find(int nr) => _visible.GetValueOrDefault(nr);

    /// <summary>Visible pids in number order.</summary>
    public IEnumerable<(int Nr, Pid Pid)> Visible => _visible.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value));

    /// <summary>Every taken number in ascending order.</summary>
    public IEnumerable<int> TakenNumbers
    {
        get
        {
            for (var w = 0; w < _bits.Length; w++)
            {
                var word = _bits[w];
                while (word != 0)
                {
                    var b = BitOperations.TrailingZeroCount(word);
                    yield return (w << 6) + b;
                    word &= word - 1;
                }
            }
        }
    }

    /// <summary>One level of kernel/pid.c:alloc_pid(): reserve <paramref name="requested"/> (this level's set_tid entry)
    /// or, when there is none (null), the next number by cyclic allocation.</summary>
    public Errno Reserve(int? requested, out int nr)
    {
        nr = 0;
        if (requested is int tid)
        {
            // alloc_pid: "if (tid < 1 || tid >= pid_max) goto out_free" with -EINVAL
            if (tid < 1 || tid >= PidMax)
            {
                return Errno.EINVAL;
            }
            // alloc_pid: "Also fail if a PID != 1 is requested and no PID 1 exists" -> -EINVAL
            if (tid != 1 && !HasChildReaper)
            {
                return Errno.EINVAL;
            }
            // idr_alloc(tid, tid + 1) fails -ENOSPC when taken; alloc_pid turns that into -EEXIST.
            // Requested numbers do not move the cursor.
            if (IsTaken(tid))
            {
                return Errno.EEXIST;
            }
            Take(tid);
            nr = tid;
            return Errno.None;
        }

        // alloc_pid: pid_min = 1, or RESERVED_PIDS once the cursor went past it; then idr_alloc_cyclic().
        var pidMin = Cursor > ReservedPids ? ReservedPids : 1;
        var start = Math.Max(Cursor, pidMin);
        var found = LowestFree(start, PidMax);
        if (found < 0 && start > pidMin)
        {
            found = LowestFree(pidMin, PidMax);
        }
        if (found < 0)
        {
            // idr ENOSPC becomes -EAGAIN in alloc_pid.
            return Errno.EAGAIN;
        }
        Take(found);
        Cursor = found + 1;
        nr = found;
        return Errno.None;
    }

    /// <summary>The commit loop of alloc_pid() for this level: make <paramref name="nr"/> visible as <paramref name="pid"/>.
    /// Only the innermost level checks PIDNS_ADDING (-ENOMEM, "the historical errno kept for ABI").</summary>
    public Errno Commit(int nr, Pid pid, bool innermost)
    {
        if (!IsTaken(nr) || _visible.ContainsKey(nr))
        {
            throw new InvariantViolationException($"commit of {nr} in {Ns}: not reserved or already visible");
        }
        if (innermost && !Adding)
        {
            return Errno.ENOMEM;
        }
        _visible.Add(nr, pid);
        Count++;
        return Errno.None;
    }

    /// <summary>Release <paramref name="nr"/>. For a visible number this is free_pid() at this level; for a reserved one
    /// the error path of alloc_pid(), which resets the cursor when the namespace's first pid failed
    /// (<paramref name="innermost"/>: this is the level the pid was being allocated for).</summary>
    public FreeOutcome Release(int nr, bool innermost)
    {
        if (!IsTaken(nr))
        {
            throw new InvariantViolationException($"release of free number {nr} in {Ns}");
        }
        Untake(nr);
        if (_visible.Remove(nr))
        {
            Count--;
            // free_pid: "case PIDNS_ADDING: Handle a fork failure of the first process": the count returned to exactly
            // PIDNS_ADDING, so the namespace never had a live process: it is dead for good.
            if (Count == 0 && Adding)
            {
                Adding = false;
                return FreeOutcome.NamespaceDied;
            }
            return FreeOutcome.Freed;
        }
        // alloc_pid out_free: "On failure to allocate the first pid, reset the state".
        if (innermost && Count == 0 && Adding)
        {
            Cursor = 0;
        }
        return FreeOutcome.Unreserved;
    }

    /// <summary>kernel/pid.c:disable_pid_allocation(), called by zap_pid_ns_processes().</summary>
    public void DisableAllocation() => Adding = false;

    /// <summary>Read of /proc/sys/kernel/ns_last_pid: <c>idr_get_cursor() - 1</c>.</summary>
    public int LastPid => Cursor - 1;

    /// <summary>Write of /proc/sys/kernel/ns_last_pid (pid_ns_ctl_handler): range [0, pid_max] else -EINVAL; sets the cursor to v + 1.</summary>
    public Errno WriteLastPid(long value)
    {
        if (value < 0 || value > PidMax)
        {
            return Errno.EINVAL;
        }
        Cursor = (int)value + 1;
        return Errno.None;
    }

    /// <summary>Write of /proc/sys/kernel/pid_max for this namespace: range [max(301, 8 x possible CPUs), PID_MAX_LIMIT] else -EINVAL.</summary>
    public Errno WritePidMax(long value, int possibleCpus)
    {
        var min = Math.Max(ReservedPids + 1, 8 * possibleCpus);
        if (value < min || value > PidMaxLimit)
        {
            return Errno.EINVAL;
        }
        PidMax = (int)value;
        return Errno.None;
    }

    /// <summary>Checks this map's invariants; throws <see cref="InvariantViolationException"/>.</summary>
    public void CheckInvariants()
    {
        if (Count != _visible.Count)
        {
            throw new InvariantViolationException($"{Ns}: pid_allocated {Count} != visible pids {_visible.Count}");
        }
        var taken = 0;
        foreach (var word in _bits)
        {
            taken += BitOperations.PopCount(word);
        }
        if (taken != _taken)
        {
            throw new InvariantViolationException($"{Ns}: taken count {_taken} != bitmap {taken}");
        }
        foreach (var (nr, pid) in _visible)
        {
            if (!IsTaken(nr))
            {
                throw new InvariantViolationException($"{Ns}: visible {nr} is not taken");
            }
            if (pid.Level < Ns.Level || pid.Numbers[Ns.Level].Nr != nr || !ReferenceEquals(pid.Numbers[Ns.Level].Ns, Ns))
            {
                throw new InvariantViolationException($"{Ns}: number {nr} maps to pid {pid} which has another number here");
            }
        }
        CheckLifetime();
    }

    /// <summary>Lifetime: a destroyed namespace holds no number. The one property here that another actor's step can
    /// break (any actor drops namespace references).</summary>
    /// <exception cref="InvariantViolationException">The namespace was destroyed while numbers are taken.</exception>
    public void CheckLifetime()
    {
        if (Ns.Destroyed && _taken != 0)
        {
            throw new InvariantViolationException($"{Ns} destroyed while holding {_taken} numbers");
        }
    }

    /// <summary>Ancestor visibility: every pid visible here is visible, as the same pid, in the map of every ancestor
    /// namespace (<paramref name="mapOf"/> gives a namespace's map, null once destroyed).</summary>
    /// <exception cref="InvariantViolationException">A visible pid is missing from an ancestor's map.</exception>
    public void CheckVisibleInAncestors(Func<NsHandle, PidMap?> mapOf)
    {
        ArgumentNullException.ThrowIfNull(mapOf);
        foreach (var (nr, pid) in _visible)
        {
            for (var level = 0; level < Ns.Level; level++)
            {
                var outer = pid.Numbers[level];
                var outerMap = mapOf(outer.Ns)
                    ?? throw new InvariantViolationException($"pid {pid} visible in {Ns} as {nr} has a number in destroyed {outer.Ns}");
                if (!ReferenceEquals(outerMap.Find(outer.Nr), pid))
                {
                    throw new InvariantViolationException($"pid {pid} is visible in {Ns} as {nr} but not in ancestor {outer.Ns} as {outer.Nr}");
                }
            }
        }
    }

    private int LowestFree(int from, int end)
    {
        for (var nr = from; nr < end;)
        {
            var w = nr >> 6;
            if (w >= _bits.Length)
            {
                return nr;
            }
            var free = ~_bits[w] & (ulong.MaxValue << (nr & 63));
            if (free != 0)
            {
                var candidate = (w << 6) + BitOperations.TrailingZeroCount(free);
                return candidate < end ? candidate : -1;
            }
            nr = (w + 1) << 6;
        }
        return -1;
    }

    private void Take(int nr)
    {
        var w = nr >> 6;
        if (w >= _bits.Length)
        {
            Array.Resize(ref _bits, Math.Max(w + 1, _bits.Length * 2));
        }
        _bits[w] |= 1UL << (nr & 63);
        _taken++;
    }

    private void Untake(int nr)
    {
        _bits[nr >> 6] &= ~(1UL << (nr & 63));
        _taken--;
    }
}

/// <summary>What a release did to the namespace.</summary>
public enum FreeOutcome
{
    /// <summary>A reserved (never visible) number was given back.</summary>
    Unreserved,
    /// <summary>A visible number was freed.</summary>
    Freed,
    /// <summary>The namespace's first process failed after its pid became visible: no process can ever be added.</summary>
    NamespaceDied,
}
