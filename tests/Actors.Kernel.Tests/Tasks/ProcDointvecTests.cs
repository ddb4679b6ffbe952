using Actors.Kernel.Tasks;
using Xunit;

namespace Actors.Kernel.Tests.Tasks;

/// <summary>How an integer sysctl reads a write (kernel/sysctl.c:__do_proc_dointvec(), proc_get_long()); every row
/// was checked on Linux 6.18 through ns_last_pid (scenarios/pidns/sysctl-writes.scn runs them under actors conform).</summary>
public class ProcDointvecTests
{
    [Theory]
    [InlineData("5", 5L)]
    [InlineData(" 50", 50L)]
    [InlineData("60 ", 60L)]
    [InlineData("\t7\n", 7L)]
    [InlineData("0x10", 16L)]
    [InlineData("0X1f", 31L)]
    [InlineData("010", 8L)]
    [InlineData("0", 0L)]
    [InlineData("-0", 0L)]
    [InlineData("-5", -5L)]
    [InlineData("1 2", 1L)]
    [InlineData("2147483647", 2147483647L)]
    [InlineData("-2147483648", -2147483648L)]
    [InlineData("00000000000000000007", 7L)]
    public void Accepted_values(string text, long value)
    {
        Assert.Equal(Errno.None, ProcDointvec.Parse(text, out var v));
        Assert.Equal(value, v);
    }

    [Fact]
    public void An_empty_write_changes_nothing()
    {
        Assert.Equal(Errno.None, ProcDointvec.Parse("", out var v));
        Assert.Null(v);
    }

    [Theory]
    [InlineData("   ")]
    [InlineData("+70")]
    [InlineData("08")]
    [InlineData("0x")]
    [InlineData("12x")]
    [InlineData("-")]
    [InlineData("abc")]
    [InlineData("1e3")]
    [InlineData("2147483648")]
    [InlineData("-2147483649")]
    [InlineData("99999999999999999999")]
    [InlineData("000000000000000000007")]
    public void Refused_values(string text)
    {
        Assert.Equal(Errno.EINVAL, ProcDointvec.Parse(text, out _));
    }
}
