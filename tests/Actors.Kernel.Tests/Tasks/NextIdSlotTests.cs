using Actors.Kernel.Tasks;
using Xunit;

namespace Actors.Kernel.Tests.Tasks;

public sealed class NextIdSlotTests
{
    [Theory]
    [InlineData("LONG 5", new long[] { 5 })]
    [InlineData("LONG 0\n", new long[] { 0 })]
    [InlineData("LONG1 7", new long[] { 7 })]
    [InlineData("LONG3 1 42 31496", new long[] { 1, 42, 31496 })]
    [InlineData("LONG2 9\t10", new long[] { 9, 10 })]
    [InlineData("LONG 9223372036854775807", new long[] { long.MaxValue })]
    public void TryParse_valid_text_gives_the_ids_innermost_first(string text, long[] ids)
    {
        Assert.Equal(Errno.None, NextIdSlot.TryParse(text, out var parsed));
        Assert.Equal(ids, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("LONG")]
    [InlineData("LONG 1 2")]
    [InlineData("LONG2 1")]
    [InlineData("LONG0")]
    [InlineData("LONG34 1")]
    [InlineData("LONG -1")]
    [InlineData("LONG +1")]
    [InlineData("LONG x")]
    [InlineData("long 5")]
    [InlineData("LONGx 5")]
    [InlineData("LONG 9223372036854775808")]
    [InlineData("  LONG2 9 10")]                 // the text starts with LONG (as the conform helper's emulation)
    public void TryParse_malformed_text_is_EINVAL(string text)
    {
        Assert.Equal(Errno.EINVAL, NextIdSlot.TryParse(text, out _));
    }

    [Fact]
    public void Write_of_malformed_text_leaves_the_slot_unchanged()
    {
        var slot = new NextIdSlot();
        Assert.Equal(Errno.None, slot.Write("LONG2 1 42"));
        Assert.Equal(Errno.EINVAL, slot.Write("LONG2 1"));
        Assert.Equal("LONG2 1 42", slot.Read());
    }

    [Fact]
    public void Take_consumes_once_and_ClearIf_only_clears_the_same_ids()
    {
        var slot = new NextIdSlot();
        Assert.Null(slot.Take());
        slot.Write("LONG 500");
        var first = slot.Peek()!;
        slot.Write("LONG 600");
        slot.ClearIf(first);
        Assert.Equal("LONG 600", slot.Read());
        Assert.Equal([600L], slot.Take()!);
        Assert.Null(slot.Take());
        Assert.Equal("", slot.Read());
    }
}
