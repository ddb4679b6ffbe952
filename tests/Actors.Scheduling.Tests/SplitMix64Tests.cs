namespace Actors.Scheduling.Tests;

public sealed class SplitMix64Tests
{
    [Fact]
    public void SplitMix64_must_produce_the_reference_sequence_for_seed_0()
    {
        var rng = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, rng.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, rng.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, rng.NextUInt64());
    }

    [Fact]
    public void SplitMix64_must_stay_in_range_and_repeat_for_the_same_stream()
    {
        var a = SplitMix64.ForStream(42, 7);
        var b = SplitMix64.ForStream(42, 7);
        var other = SplitMix64.ForStream(42, 8);
        Assert.NotEqual(a.State, other.State);
        for (var i = 0; i < 1000; i++)
        {
            var bound = (i % 9) + 1;
            var x = a.NextInt(bound);
            Assert.InRange(x, 0, bound - 1);
            Assert.Equal(x, b.NextInt(bound));
        }
    }

    [Fact]
    public void SplitMix64_streams_must_be_pinned_across_versions()
    {
        // Changing ForStream changes every recorded (seed, iteration) reproduction: keep these values.
        var rng = SplitMix64.ForStream(42, 0);
        var first = rng.NextUInt64();
        Assert.Equal(SplitMix64.Mix(SplitMix64.Mix(SplitMix64.Mix(42) ^ SplitMix64.Gamma) + SplitMix64.Gamma), first);
    }
}
