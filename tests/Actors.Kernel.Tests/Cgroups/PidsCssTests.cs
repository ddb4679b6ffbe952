using Actors.Kernel.Cgroups;
using Xunit;

namespace Actors.Kernel.Tests.Cgroups;

/// <summary>One css of the pids controller (kernel/cgroup/pids.c): pids.max parsing (pids_max_write()), one level of
/// pids_try_charge(), the watermark behind pids.peak, and pids_event()'s counters as __pids_events_show() prints them on
/// v1 and on v2.</summary>
public class PidsCssTests
{
    [Theory]
    [InlineData("max", "max\n")]
    [InlineData("max\n", "max\n")]
    [InlineData("  max \n", "max\n")]
    [InlineData("0", "0\n")]
    [InlineData("1", "1\n")]
    [InlineData("4194304", "4194304\n")]
    [InlineData(" 5\n", "5\n")]
    [InlineData("\t5\t", "5\n")]
    [InlineData("0x10", "16\n")]
    [InlineData("010", "8\n")]
    [InlineData("+3", "3\n")]
    [InlineData("-0", "0\n")]
    public void Pids_max_accepts(string text, string shown)
    {
        var css = new PidsCss(onDefault: false);
        Assert.Equal(Errno.None, css.Write("pids.max", text));
        Assert.Equal((shown, Errno.None), css.Read("pids.max"));
    }

    [Theory]
    [InlineData("4194305", Errno.EINVAL)]
    [InlineData("-1", Errno.EINVAL)]
    [InlineData("abc", Errno.EINVAL)]
    [InlineData("", Errno.EINVAL)]
    [InlineData("MAX", Errno.EINVAL)]
    [InlineData("max max", Errno.EINVAL)]
    [InlineData("1 2", Errno.EINVAL)]
    [InlineData("08", Errno.EINVAL)]
    [InlineData("99999999999999999999", Errno.ERANGE)]
    [InlineData("-9223372036854775809", Errno.ERANGE)]
    public void Pids_max_refuses_and_keeps_the_old_limit(string text, Errno errno)
    {
        var css = new PidsCss(onDefault: true);
        Assert.Equal(Errno.None, css.Write("pids.max", "7"));
        Assert.Equal(errno, css.Write("pids.max", text));
        Assert.Equal(("7\n", Errno.None), css.Read("pids.max"));
        Assert.Equal(7, css.Limit);
    }

    [Fact]
    public void A_new_css_reads_max_zero_zero_and_no_events()
    {
        var css = new PidsCss(onDefault: true);
        Assert.Equal("max\n", css.Read("pids.max").Text);
        Assert.Equal(PidsSubsystem.PidsMax, css.Limit);
        Assert.Equal("0\n", css.Read("pids.current").Text);
        Assert.Equal("0\n", css.Read("pids.peak").Text);
        Assert.Equal("max 0\n", css.Read("pids.events").Text);
        Assert.Equal("max 0\n", css.Read("pids.events.local").Text);
    }

    [Theory]
    [InlineData("pids.current")]
    [InlineData("pids.peak")]
    [InlineData("pids.events")]
    [InlineData("pids.events.local")]
    public void Read_only_files_refuse_writes_with_EINVAL(string file)
    {
        var css = new PidsCss(onDefault: true);
        Assert.Equal(Errno.EINVAL, css.Write(file, "1"));
        Assert.Equal("max\n", css.Read("pids.max").Text);
    }

    [Fact]
    public void Files_differ_between_v1_and_v2()
    {
        Assert.Equal(["pids.max", "pids.current", "pids.peak", "pids.events"], new PidsCss(onDefault: false).Files);
        Assert.Equal(["pids.max", "pids.current", "pids.peak", "pids.events", "pids.events.local"], new PidsCss(onDefault: true).Files);
        Assert.Equal(Errno.ENOENT, new PidsCss(onDefault: false).Read("pids.nosuch").Errno);
    }

    [Fact]
    public void TryCharge_stops_at_the_limit_and_changes_nothing_when_refused()
    {
        var css = new PidsCss(onDefault: false);
        css.Write("pids.max", "2");
        Assert.True(css.TryCharge());
        Assert.True(css.TryCharge());
        Assert.False(css.TryCharge());
        Assert.False(css.TryCharge());
        Assert.Equal(2, css.Charged);
        Assert.Equal("2\n", css.Read("pids.current").Text);
        Assert.Equal("2\n", css.Read("pids.peak").Text);
        css.CheckInvariants();

        css.Adjust(-1);                                     // a reap
        Assert.True(css.TryCharge());
        Assert.Equal(2, css.Charged);
    }

    [Fact]
    public void TryCharge_with_a_limit_of_zero_always_refuses()
    {
        var css = new PidsCss(onDefault: false);
        css.Write("pids.max", "0");
        Assert.False(css.TryCharge());
        Assert.Equal("0\n", css.Read("pids.current").Text);
        Assert.Equal("0\n", css.Read("pids.peak").Text);
    }

    [Fact]
    public void Lowering_the_limit_below_the_count_refuses_further_charges_but_keeps_the_count()
    {
        var css = new PidsCss(onDefault: false);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(css.TryCharge());
        }
        Assert.Equal(Errno.None, css.Write("pids.max", "3"));
        Assert.False(css.TryCharge());
        Assert.Equal(5, css.Charged);
        css.Adjust(-1);
        Assert.False(css.TryCharge());                      // 4 + 1 > 3
    }

    [Fact]
    public void Peak_is_a_watermark_of_charges_and_migrations_but_not_of_uncharges()
    {
        var css = new PidsCss(onDefault: true);
        css.TryCharge();
        css.TryCharge();
        css.TryCharge();
        css.Adjust(-2);
        Assert.Equal("1\n", css.Read("pids.current").Text);
        Assert.Equal("3\n", css.Read("pids.peak").Text);

        css.Write("pids.max", "2");
        css.Adjust(+4);                                     // a migration in: never refused, may pass the limit
        Assert.Equal("5\n", css.Read("pids.current").Text);
        Assert.Equal("5\n", css.Read("pids.peak").Text);
        Assert.False(css.TryCharge());
        Assert.Equal("5\n", css.Read("pids.peak").Text);
        css.CheckInvariants();
    }

    [Fact]
    public void V1_events_show_the_forking_css_local_forkfail_count()
    {
        var forking = new PidsCss(onDefault: false);
        var overLimit = new PidsCss(onDefault: false);
        var above = new PidsCss(onDefault: false);

        forking.ForkRejected(ForkRejectionRole.Forking);
        overLimit.ForkRejected(ForkRejectionRole.OverLimit);
        above.ForkRejected(ForkRejectionRole.AboveOverLimit);
        forking.ForkRejected(ForkRejectionRole.Forking | ForkRejectionRole.OverLimit);

        Assert.Equal("max 2\n", forking.Read("pids.events").Text);
        Assert.Equal("max 0\n", overLimit.Read("pids.events").Text);
        Assert.Equal("max 0\n", above.Read("pids.events").Text);
        Assert.DoesNotContain("pids.events.local", forking.Files);
    }

    [Fact]
    public void V2_events_are_hierarchical_max_counts_and_events_local_counts_only_the_level_over_its_limit()
    {
        var forking = new PidsCss(onDefault: true);
        var overLimit = new PidsCss(onDefault: true);
        var above = new PidsCss(onDefault: true);

        // A fork from `forking`, refused at `overLimit` (its parent), with `above` its grandparent.
        forking.ForkRejected(ForkRejectionRole.Forking);
        overLimit.ForkRejected(ForkRejectionRole.OverLimit);
        above.ForkRejected(ForkRejectionRole.AboveOverLimit);

        Assert.Equal("max 0\n", forking.Read("pids.events").Text);         // FORKFAIL is not shown on v2
        Assert.Equal("max 0\n", forking.Read("pids.events.local").Text);
        Assert.Equal("max 1\n", overLimit.Read("pids.events").Text);
        Assert.Equal("max 1\n", overLimit.Read("pids.events.local").Text);
        Assert.Equal("max 1\n", above.Read("pids.events").Text);
        Assert.Equal("max 0\n", above.Read("pids.events.local").Text);

        // Refused at the forking level itself.
        forking.ForkRejected(ForkRejectionRole.Forking | ForkRejectionRole.OverLimit);
        Assert.Equal("max 1\n", forking.Read("pids.events").Text);
        Assert.Equal("max 1\n", forking.Read("pids.events.local").Text);
    }

    [Fact]
    public void CheckInvariants_catches_a_negative_count()
    {
        var css = new PidsCss(onDefault: false);
        css.CheckInvariants();
        css.Adjust(-1);                                     // an uncharge nobody charged
        var e = Assert.Throws<InvariantViolationException>(css.CheckInvariants);
        Assert.Contains("negative", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_subsystem_is_threaded_charges_tasks_and_makes_css_of_the_right_kind()
    {
        var ss = PidsSubsystem.Instance;
        Assert.Equal("pids", ss.Name);
        Assert.True(ss.Threaded);
        Assert.True(ss.ChargesTasks);
        Assert.Equal(11, ss.Order);
        Assert.Contains("pids.events.local", ss.Create(onDefault: true).Files);
        Assert.DoesNotContain("pids.events.local", ss.Create(onDefault: false).Files);
    }
}
