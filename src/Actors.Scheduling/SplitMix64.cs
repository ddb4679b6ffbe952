namespace Actors.Scheduling;

/// <summary>The SplitMix64 pseudo-random generator (Steele, Lea, Flood 2014; Vigna's reference constants).</summary>
/// <remarks>
/// Used instead of <see cref="System.Random"/> so that a seed names the same sequence on every .NET version
/// and machine. A mutable struct: copy it and both copies continue the same sequence independently.
/// </remarks>
public struct SplitMix64
{
    /// <summary>The golden-ratio increment added to the state before each output.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    private ulong _state;

    /// <summary>Starts the generator at <paramref name="seed"/>; seed 0 first yields 0xE220A8397B1DCDAF.</summary>
    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>The current internal state.</summary>
    public readonly ulong State => _state;

    /// <summary>The generator for stream <paramref name="stream"/> of <paramref name="seed"/>, e.g. one per
    /// iteration: its state is <c>Mix(Mix(seed) ^ (Gamma * (stream + 1)))</c>.</summary>
    public static SplitMix64 ForStream(ulong seed, ulong stream) =>
        new(Mix(Mix(seed) ^ unchecked(Gamma * (stream + 1))));

    /// <summary>The SplitMix64 output function (a 64-bit finaliser).</summary>
    public static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        unchecked
        {
            _state += Gamma;
        }

        return Mix(_state);
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), without modulo bias (rejection sampling).</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        var b = (ulong)bound;
        var threshold = unchecked(0UL - b) % b;
        while (true)
        {
            var r = NextUInt64();
            if (r >= threshold)
            {
                return (int)(r % b);
            }
        }
    }
}
