namespace Actors.Kernel.Cgroups;

/// <summary>The pids controller (kernel/cgroup/pids.c): counts tasks (threads), charged at fork in every level below
/// the root, refused with EAGAIN when a level would exceed its <c>pids.max</c>, uncharged at reap; a migration moves
/// the charge and is never refused.</summary>
public sealed class PidsSubsystem : CgroupSubsystem
{
    /// <summary>PIDS_MAX: <c>PID_MAX_LIMIT + 1</c>, shown as "max".</summary>
    public const long PidsMax = 4 * 1024 * 1024 + 1;

    public static readonly PidsSubsystem Instance = new();

    public override string Name => "pids";

    public override bool Threaded => true;

    public override bool ChargesTasks => true;

    public override Css Create(bool onDefault) => new PidsCss(onDefault);
}

/// <summary>struct pids_cgroup.</summary>
public sealed class PidsCss(bool onDefault) : Css
{
    private static readonly IReadOnlyList<string> s_legacyFiles = ["pids.max", "pids.current", "pids.peak", "pids.events"];
    private static readonly IReadOnlyList<string> s_dflFiles = ["pids.max", "pids.current", "pids.peak", "pids.events", "pids.events.local"];

    private long _counter;
    private long _limit = PidsSubsystem.PidsMax;
    private long _watermark;
    private long _eventsMax;      // events[PIDCG_MAX] (v2, hierarchical)
    private long _localMax;       // events_local[PIDCG_MAX] (v2)
    private long _localForkFail;  // events_local[PIDCG_FORKFAIL]

    public override IReadOnlyList<string> Files => onDefault ? s_dflFiles : s_legacyFiles;

    public override long Charged => _counter;

    public long Limit => _limit;

    public override (string? Text, Errno Errno) Read(string file) => file switch
    {
        "pids.max" => (_limit >= PidsSubsystem.PidsMax ? "max\n" : KernelText.Int(_limit) + "\n", Errno.None),
        "pids.current" => (KernelText.Int(_counter) + "\n", Errno.None),
        "pids.peak" => (KernelText.Int(_watermark) + "\n", Errno.None),
        // __pids_events_show(): v1 shows the local FORKFAIL count.
        "pids.events" => ($"max {KernelText.Int(onDefault ? _eventsMax : _localForkFail)}\n", Errno.None),
        "pids.events.local" => ($"max {KernelText.Int(_localMax)}\n", Errno.None),
        _ => (null, Errno.ENOENT),
    };

    public override Errno Write(string file, string text)
    {
        if (file != "pids.max")
        {
            return Errno.EINVAL; // read-only files have no write handler
        }
        // pids_max_write(): strstrip, "max", else kstrtoll base 0 in [0, PIDS_MAX).
        var buf = KernelText.Strip(text);
        if (buf == "max")
        {
            _limit = PidsSubsystem.PidsMax;
            return Errno.None;
        }
        var errno = KernelText.Kstrtoll(buf, out var limit);
        if (errno != Errno.None)
        {
            return errno;
        }
        if (limit is < 0 or >= PidsSubsystem.PidsMax)
        {
            return Errno.EINVAL;
        }
        _limit = limit;
        return Errno.None;
    }

    /// <summary>One level of pids_try_charge(): the add and the limit check are one atomic64_add_return, and a refused
    /// level cancels its own add at once (the watermark is not raised).</summary>
    public override bool TryCharge()
    {
        if (_counter + 1 > _limit)
        {
            return false;
        }
        _counter++;
        _watermark = Math.Max(_watermark, _counter);
        return true;
    }

    public override void Adjust(long delta)
    {
        _counter += delta;
        if (delta > 0)
        {
            _watermark = Math.Max(_watermark, _counter);
        }
    }

    public override void ForkRejected(ForkRejectionRole role)
    {
        if ((role & ForkRejectionRole.Forking) != 0)
        {
            _localForkFail++;
        }
        if (!onDefault)
        {
            return;
        }
        if ((role & ForkRejectionRole.OverLimit) != 0)
        {
            _localMax++;
            _eventsMax++;
        }
        if ((role & ForkRejectionRole.AboveOverLimit) != 0)
        {
            _eventsMax++;
        }
    }

    public override void CheckInvariants()
    {
        if (_counter < 0)
        {
            throw new InvariantViolationException($"pids.current is negative ({_counter})");
        }
        if (_watermark < _counter)
        {
            throw new InvariantViolationException($"pids.peak {_watermark} is below pids.current {_counter}");
        }
    }
}
