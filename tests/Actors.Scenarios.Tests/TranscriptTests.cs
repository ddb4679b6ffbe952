using Xunit;

namespace Actors.Scenarios.Tests;

/// <summary>Runs small scenarios through the runner and checks the exact transcript lines and counts.</summary>
public sealed class TranscriptTests(RunnerFixture fixture) : IClassFixture<RunnerFixture>
{
    private FileRun Run(string text) => fixture.Runner.Run(ScenarioParser.Parse("t.scn", text));

    [Fact]
    public void Transcript_marks_ok_and_fail_and_counts_them()
    {
        var run = Run("init getpid => 1\ninit fork -> a => 3\na getppid");
        Assert.Equal(
            ["1: init getpid = 1   ok", "2: init fork -> a = 2   FAIL expected 3", "3: a getppid = 1"],
            run.Outcomes.Select(o => o.Line));
        Assert.Equal(1, run.Passed);
        Assert.Equal(1, run.Failed);
    }

    [Fact]
    public void Wait_that_blocks_after_quiescence_prints_blocks_forever_and_fails()
    {
        var run = Run("init fork -> a\ninit wait\na exit 0\ninit wait => $a");
        Assert.Equal("2: init wait = blocks forever   FAIL", run.Outcomes[1].Line);
        Assert.Equal("4: init wait = 2   ok", run.Outcomes[3].Line);
        Assert.Equal(1, run.Failed);
    }

    [Fact]
    public void Steps_of_a_killed_task_print_dead()
    {
        var run = Run("init fork -> a\ninit kill $a SIGKILL => 0\na getpid\na getpid => 2");
        Assert.Equal("3: a getpid = (dead)", run.Outcomes[2].Line);
        Assert.Equal("4: a getpid = (dead)   FAIL expected 2", run.Outcomes[3].Line);
    }

    [Fact]
    public void Read_shows_quoted_text_and_fields()
    {
        var run = Run("init read /proc/1/status NSpid => \"1\"\ninit read /proc/1/status Missing => \"\"\ninit read /proc/9/status");
        Assert.Equal("1: init read /proc/1/status NSpid = \"1\"   ok", run.Outcomes[0].Line);
        Assert.Equal("2: init read /proc/1/status Missing = \"\"   ok", run.Outcomes[1].Line);
        Assert.Equal("3: init read /proc/9/status = -1 ENOENT", run.Outcomes[2].Line);
    }

    [Fact]
    public void Unbound_name_after_a_failed_fork_is_a_scenario_error_at_its_line()
    {
        var run = Run("init clone CLONE_THREAD -> t\nt getpid");
        Assert.Equal("t.scn:2: task 't' is not bound (the call that should have created it failed)", run.Error);
        Assert.Single(run.Outcomes);
    }

    [Fact]
    public void Parallel_block_runs_in_written_order_under_run()
    {
        var run = Run("init fork -> a\nparallel\na fork -> b\ninit fork -> c\nend\nb getppid => $a\nc getpid => 4");
        Assert.Equal(0, run.Failed);
        Assert.Equal(["1", "3", "4"], run.Outcomes.Take(3).Select(o => o.Result == "2" ? "1" : o.Result));
    }

    [Fact]
    public void Config_pid_max_out_of_range_is_a_scenario_error()
    {
        var run = Run("config pid_max=100\ninit getpid");
        Assert.Equal("t.scn:1: pid_max must be in [301, 4194304]", run.Error);
        Assert.Empty(run.Outcomes);
    }
}
