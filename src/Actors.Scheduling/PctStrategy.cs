namespace Actors.Scheduling;

/// <summary>Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010) over actor labels.</summary>
/// <remarks>
/// Each actor label gets a random priority when first seen in a schedule; the enabled item with the
/// highest-priority label runs (ties: the first in enabled order). <c>depth - 1</c> change points are drawn
/// among the step indices below k, the schedule length: the given <c>scheduleLength</c> (the explorer measures it
/// once per exploration, on the scenario's FIFO schedule), or without one the longest schedule seen so far
/// (<c>maxSteps</c> before any). At a change point the label that would run drops below every other priority, and
/// the choice is made again. Bugs of depth d are found with probability at least 1/(n k^(d-1)) per schedule, n labels.
/// Iteration <c>i</c> uses the SplitMix64 stream <c>(seed, i)</c>; with a given schedule length, iterations are
/// independent of each other (<see cref="IIndependentIterations"/>).
/// </remarks>
public sealed class PctStrategy : ISchedulingStrategy, IIndependentIterations
{
    private readonly Dictionary<string, long> _priorities = new(StringComparer.Ordinal);
    private readonly int[] _changePoints;
    private SplitMix64 _rng;
    private int _longest;
    private long _demotions;

    /// <summary>Creates the strategy.</summary>
    /// <param name="seed">Seed of every iteration's stream.</param>
    /// <param name="depth">Bug depth d (at least 1): d - 1 priority change points per schedule.</param>
    /// <param name="maxSteps">Range of the change points before any schedule length is known.</param>
    /// <param name="scheduleLength">The range of the change points in every iteration (at least 1), or null to learn it
    /// from the schedules seen.</param>
    public PctStrategy(ulong seed, int depth, int maxSteps, int? scheduleLength = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSteps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(scheduleLength ?? 1, 1, nameof(scheduleLength));
        Seed = seed;
        Depth = depth;
        MaxSteps = maxSteps;
        ScheduleLength = scheduleLength;
        _changePoints = new int[depth - 1];
        _rng = SplitMix64.ForStream(seed, 0);
    }

    /// <summary>The seed.</summary>
    public ulong Seed { get; }

    /// <summary>The bug depth.</summary>
    public int Depth { get; }

    /// <summary>Change-point range before any schedule was seen.</summary>
    public int MaxSteps { get; }

    /// <summary>The fixed change-point range, or null when it is learnt.</summary>
    public int? ScheduleLength { get; }

    /// <inheritdoc />
    public bool IndependentIterations => ScheduleLength is not null;

    /// <summary>This iteration's change points (ascending step indices).</summary>
    public IReadOnlyList<int> ChangePoints => _changePoints;

    /// <inheritdoc />
    public bool PrepareIteration(int iteration)
    {
        _rng = SplitMix64.ForStream(Seed, (ulong)iteration);
        _priorities.Clear();
        _demotions = 0;
        var range = ScheduleLength ?? (_longest > 0 ? _longest : MaxSteps);
        for (var i = 0; i < _changePoints.Length; i++)
        {
            // Distinct points while the range allows it; a handful of retries at most since depth is small.
            int point;
            do
            {
                point = _rng.NextInt(range);
            }
            while (i < range && Array.IndexOf(_changePoints, point, 0, i) >= 0);

            _changePoints[i] = point;
        }

        Array.Sort(_changePoints);
        return true;
    }

    /// <inheritdoc />
    public int Choose(IReadOnlyList<SchedulableItem> enabled, int stepIndex)
    {
        ArgumentNullException.ThrowIfNull(enabled);
        if (stepIndex >= _longest)
        {
            _longest = stepIndex + 1;
        }

        var best = Highest(enabled);
        if (Array.BinarySearch(_changePoints, stepIndex) >= 0)
        {
            _priorities[enabled[best].Actor] = -++_demotions;
            best = Highest(enabled);
        }

        return best;
    }

    /// <inheritdoc />
    public string Describe() => ScheduleLength is { } k ? $"pct(seed={Seed},depth={Depth},k={k})" : $"pct(seed={Seed},depth={Depth})";

    private int Highest(IReadOnlyList<SchedulableItem> enabled)
    {
        var best = 0;
        var bestPriority = long.MinValue;
        for (var i = 0; i < enabled.Count; i++)
        {
            var label = enabled[i].Actor;
            if (!_priorities.TryGetValue(label, out var priority))
            {
                // Random priorities are >= 0; demoted labels get -1, -2, ... (below all of them).
                priority = (long)(_rng.NextUInt64() >> 1);
                _priorities.Add(label, priority);
            }

            if (priority > bestPriority)
            {
                best = i;
                bestPriority = priority;
            }
        }

        return best;
    }
}
