namespace Actors.Scheduling;

/// <summary>Rotates random, PCT depth 2 and PCT depth 3 per iteration (iteration i uses member i mod 3, with
/// the member's own stream for i), like Coyote's default portfolio.</summary>
public sealed class PortfolioStrategy : ISchedulingStrategy, IIndependentIterations
{
    private readonly ISchedulingStrategy[] _members;
    private ISchedulingStrategy _current;

    /// <summary>Creates the portfolio; <paramref name="maxSteps"/> bounds the PCT change points before any
    /// schedule length is known, <paramref name="scheduleLength"/> fixes it (see <see cref="PctStrategy"/>).</summary>
    public PortfolioStrategy(ulong seed, int maxSteps, int? scheduleLength = null)
    {
        Seed = seed;
        _members = [new RandomStrategy(seed), new PctStrategy(seed, 2, maxSteps, scheduleLength), new PctStrategy(seed, 3, maxSteps, scheduleLength)];
        _current = _members[0];
    }

    /// <inheritdoc />
    public bool IndependentIterations => _members.All(static m => m is IIndependentIterations { IndependentIterations: true });

    /// <summary>The seed.</summary>
    public ulong Seed { get; }

    /// <summary>The member strategy of the current iteration.</summary>
    public ISchedulingStrategy Current => _current;

    /// <inheritdoc />
    public bool PrepareIteration(int iteration)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iteration);
        _current = _members[iteration % _members.Length];
        return _current.PrepareIteration(iteration);
    }

    /// <inheritdoc />
    public int Choose(IReadOnlyList<SchedulableItem> enabled, int stepIndex) => _current.Choose(enabled, stepIndex);

    /// <inheritdoc />
    public string Describe() => $"portfolio(seed={Seed}):{_current.Describe()}";
}

/// <summary>Wraps a strategy and switches to uniform random choice after <c>unfairSteps</c> steps of a schedule,
/// so long schedules are fair (every enabled item eventually runs) and liveness checks mean something.</summary>
public sealed class FairFallback : ISchedulingStrategy, IIndependentIterations
{
    private const ulong StreamSalt = 0xFA1EFA1EFA1EFA1EUL;
    private readonly ISchedulingStrategy _inner;
    private SplitMix64 _rng;

    /// <summary>Creates the wrapper; the random part of iteration i uses the stream (seed ^ salt, i).</summary>
    public FairFallback(ISchedulingStrategy inner, int unfairSteps, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegative(unfairSteps);
        _inner = inner;
        UnfairSteps = unfairSteps;
        Seed = seed;
        _rng = SplitMix64.ForStream(seed ^ StreamSalt, 0);
    }

    /// <inheritdoc />
    public bool IndependentIterations => _inner is IIndependentIterations { IndependentIterations: true };

    /// <summary>Steps per schedule chosen by the inner strategy.</summary>
    public int UnfairSteps { get; }

    /// <summary>Seed of the random part.</summary>
    public ulong Seed { get; }

    /// <inheritdoc />
    public bool PrepareIteration(int iteration)
    {
        _rng = SplitMix64.ForStream(Seed ^ StreamSalt, (ulong)iteration);
        return _inner.PrepareIteration(iteration);
    }

    /// <inheritdoc />
    public int Choose(IReadOnlyList<SchedulableItem> enabled, int stepIndex)
    {
        ArgumentNullException.ThrowIfNull(enabled);
        if (stepIndex < UnfairSteps)
        {
            return _inner.Choose(enabled, stepIndex);
        }

        return enabled.Count == 1 ? 0 : _rng.NextInt(enabled.Count);
    }

    /// <inheritdoc />
    public string Describe() => $"fair({_inner.Describe()},after={UnfairSteps},seed={Seed})";
}
