namespace Actors.Scheduling;

/// <summary>Uniform random choice among the enabled items; iteration <c>i</c> uses the SplitMix64 stream
/// <c>(seed, i)</c>, so (seed, iteration) names one schedule on any machine.</summary>
/// <remarks>Draws a number only where there is a choice (two or more enabled items).</remarks>
public sealed class RandomStrategy(ulong seed) : ISchedulingStrategy, IIndependentIterations
{
    private SplitMix64 _rng = SplitMix64.ForStream(seed, 0);

    /// <summary>The seed.</summary>
    public ulong Seed { get; } = seed;

    /// <inheritdoc />
    public bool IndependentIterations => true;

    /// <inheritdoc />
    public bool PrepareIteration(int iteration)
    {
        _rng = SplitMix64.ForStream(Seed, (ulong)iteration);
        return true;
    }

    /// <inheritdoc />
    public int Choose(IReadOnlyList<SchedulableItem> enabled, int stepIndex)
    {
        ArgumentNullException.ThrowIfNull(enabled);
        return enabled.Count == 1 ? 0 : _rng.NextInt(enabled.Count);
    }

    /// <inheritdoc />
    public string Describe() => $"random(seed={Seed})";
}
