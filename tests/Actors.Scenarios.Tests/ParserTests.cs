using Xunit;

namespace Actors.Scenarios.Tests;

public sealed class ParserTests
{
    [Theory]
    [InlineData("init fork -> a\na getpid => 2 # comment", 2)]
    [InlineData("# only a comment\n\ninit getpid", 1)]
    [InlineData("parallel\ninit fork -> a\ninit getpid\nend\na getpid", 3)]
    [InlineData("init write /proc/sys/kernel/ns_last_pid \"9\" => 0", 1)]
    public void Parse_valid_text_gives_the_steps(string text, int steps)
    {
        Assert.Equal(steps, ScenarioParser.Parse("t.scn", text).Steps.Count());
    }

    [Theory]
    [InlineData("init frob", 1, "unknown call 'frob'")]
    [InlineData("init getpid\nb getpid", 2, "unknown task 'b'")]
    [InlineData("init fork -> a\ninit fork -> a", 2, "already bound")]
    [InlineData("init getpid\nconfig pid_max=500", 2, "config lines must come before")]
    [InlineData("config pid_maxx=500", 1, "unknown config key 'pid_maxx'")]
    [InlineData("parallel\ninit getpid", 1, "parallel block without end")]
    [InlineData("end", 1, "end without parallel")]
    [InlineData("parallel\nparallel", 2, "do not nest")]
    [InlineData("init read \"/proc/1/status", 1, "unterminated quoted string")]
    [InlineData("init getpid => EWHAT", 1, "not an expected result")]
    [InlineData("init clone CLONE_NEWFOO", 1, "unknown flag 'CLONE_NEWFOO'")]
    [InlineData("init kill 1 SIGWHAT", 1, "unknown signal")]
    [InlineData("init fork -> a\na exit 0\na getpid", 3, "made exit at line 2")]
    [InlineData("parallel\ninit fork -> a\na getpid\nend", 3, "may not have run yet")]
    [InlineData("init getpid -> a", 1, "-> binds a new task only on fork or clone")]
    [InlineData("init wait WNOHANG", 1, "PID must be an integer or $NAME")]
    [InlineData("init exit", 1, "takes 1 argument(s), got 0")]
    public void Parse_bad_text_names_the_file_and_line(string text, int line, string what)
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioParser.Parse("bad.scn", text));
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"bad.scn:{line}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(what, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_text_is_printed_as_written()
    {
        var step = ScenarioParser.Parse("t.scn", "init   clone CLONE_NEWPID   set_tid=1,42 -> n   => 42").Steps.Single();
        Assert.Equal("init clone CLONE_NEWPID set_tid=1,42 -> n", step.Text);
        Assert.Equal("n", step.Bind);
        Assert.Equal(new Expectation.Number(42, "42"), step.Expect);
    }
}
