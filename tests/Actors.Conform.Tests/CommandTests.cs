using Actors.Scenarios;
using Xunit;

namespace Actors.Conform.Tests;

/// <summary>The output and exit statuses of <c>actors conform</c> (scenario-language.md, "Commands").</summary>
public sealed class CommandTests(ConformFixture fixture) : IClassFixture<ConformFixture>
{
    [Fact]
    public void Same_and_differing_files_are_reported_side_by_side_and_counted_over_files()
    {
        using var dir = new TempDir();
        var differs = dir.Write("differs.scn", "init fork -> a => 2\ninit read /proc/sys/kernel/osrelease\na getpid => $a\n");
        var same = Path.Combine(RepoPaths.Scenarios, "pidns", "basic-fork.scn");
        var r = Cli.Run(["conform", same, differs]);
        var release = File.ReadAllText("/proc/sys/kernel/osrelease").TrimEnd('\n');
        Assert.Equal(
            [
                $"{same}: same",
                $"{differs}: differs",
                $"2: init read /proc/sys/kernel/osrelease = -1 ENOENT | init read /proc/sys/kernel/osrelease = \"{release}\"",
                "1 passed, 1 failed",
            ],
            r.Stdout.TrimEnd('\n').Split('\n'));
        Assert.Equal(1, r.Status);
    }

    [Fact]
    public void All_same_exits_0()
    {
        var r = Cli.Run(["conform", Path.Combine(RepoPaths.Scenarios, "pidns", "basic-fork.scn"), Path.Combine(RepoPaths.Scenarios, "next-id", "slot.scn")]);
        Assert.Equal(0, r.Status);
        Assert.EndsWith("2 passed, 0 failed\n", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("2 model-only steps", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Scenario_errors_exit_2_with_file_and_line()
    {
        using var dir = new TempDir();
        var bad = dir.Write("bad.scn", "init frob\n");
        var unbound = dir.Write("unbound.scn", "init clone CLONE_THREAD -> t\nt getpid\n");
        var r = Cli.Run(["conform", bad, unbound]);
        Assert.Equal(2, r.Status);
        Assert.Contains($"{bad}:1: unknown call 'frob'", r.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{unbound}:2: task 't' is not bound", r.Stderr, StringComparison.Ordinal);
        Assert.EndsWith("0 passed, 2 failed\n", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Usage_errors_exit_2()
    {
        Assert.Equal(2, Cli.Run(["conform"]).Status);
        Assert.Equal(2, Cli.Run(["conform", "--frob", "x.scn"]).Status);
    }

    [Fact]
    public void A_reaped_task_is_the_pid_it_had_on_both_sides()
    {
        var scenario = ScenarioParser.Parse("reaped.scn",
            "init fork -> a => 2\na clone CLONE_NEWPID -> b => 3\nb fork -> c => 2\nc exit 0\nb wait => $c\ninit kill $c 0 => ESRCH\n" +
            "b getpid => 1\na exit 0\ninit wait => $a\ninit wait $a => ECHILD\n");
        var result = Run(scenario);
        Assert.True(result.Same, string.Join("\n", result.Transcripts()));
        Assert.All(result.Linux!.Outcomes, o => Assert.NotEqual(false, o.Passed));
    }

    [Fact]
    public void Steps_after_blocks_forever_and_steps_of_dead_tasks_are_the_same_on_both_sides()
    {
        var scenario = ScenarioParser.Parse("blocks.scn",
            "init fork -> a => 2\n" +
            "parallel\n" +
            "init wait => $a\n" +                  // written order: the wait comes first and blocks forever
            "a exit 3\n" +
            "end\n" +
            "init wait => $a\n" +                  // the interrupted wait left init usable
            "init fork -> b => 3\n" +
            "b clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> bt => 4\n" +
            "b clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> bu => 5\n" +
            "bt exit_group 0\n" +
            "b getpid\n" +                          // (dead), no expectation: not a failure
            "bu gettid => 5\n" +                   // (dead) with an expectation: a failure, on both sides
            "init wait $b => 3\n");
        var result = Run(scenario);
        Assert.True(result.Same, string.Join("\n", result.Transcripts()));
        Assert.Equal(
            ["3: init wait = blocks forever   FAIL expected $a", "11: b getpid = (dead)", "12: bu gettid = (dead)   FAIL expected 5"],
            result.Linux!.Outcomes.Where(o => o.Result is StepOutcome.BlocksForever or StepOutcome.Dead).Select(o => o.Line));
    }

    [Fact]
    public void Model_only_steps_are_neither_same_nor_different()
    {
        var scenario = ScenarioParser.Parse("model-only.scn",
            "init fork -> a => 2\n" +
            "a read /proc/1/task/1/next_id => \"\"\n" +                 // another task's slot (the helper decides)
            "init write /proc/thread-self/next_id \"LONG 0\" => 0\n" +
            "init msgget IPC_PRIVATE 0600 => 0\n" +
            "init write /proc/thread-self/next_id \"LONG 0\" => 0\n" +
            "init msgget IPC_PRIVATE 0600 => EEXIST\n" +                // busy index: Linux's msg_next_id takes index 1
            "init msgget IPC_PRIVATE 0600 => 1\n" +                     // the model's state on both sides
            "a read /proc/self/status Name\n");                         // a field the model lacks (static)
        var result = Run(scenario);
        Assert.True(result.Same, string.Join("\n", result.Transcripts()));
        Assert.Equal([2, 6, 8], result.Lines.Where(l => l.Verdict == ConformVerdict.ModelOnly).Select(l => l.Line));
    }

    [Fact]
    public void Names_created_only_by_model_only_steps_make_their_users_model_only()
    {
        var scenario = ScenarioParser.Parse("scope.scn",
            "config next_id_scope=process\ninit fork -> p => 2\np write /proc/self/next_id \"LONG 100\" => 0\np fork -> c => 100\n" +
            "c getppid => 2\ninit read /proc/$c/status NSpid => \"100\"\ninit fork -> d => 3\n");
        var plan = ConformPlan.For(scenario, ScenarioExecution.EffectiveSettings(scenario, fixture.Runner.Settings));
        Assert.Equal([3, 4, 5, 6, 7], plan.ModelOnlySteps.Select(kv => kv.Key));
        Assert.Contains("which only the model created", plan.ModelOnlyReason(scenario.Steps.ElementAt(3)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_deliberately_broken_model_is_model_only_throughout()
    {
        var scenario = ScenarioParser.Parse("broken.scn", "config break=free-pid-at-exit\ninit fork -> a => 2\na exit 0\n");
        var plan = ConformPlan.For(scenario, ScenarioExecution.EffectiveSettings(scenario, fixture.Runner.Settings));
        Assert.Equal([2, 3], plan.ModelOnlySteps.Select(kv => kv.Key));
    }

    [Fact]
    public void Status_without_a_field_compares_the_models_five_lines()
    {
        var result = Run(ScenarioParser.Parse("status.scn", "init fork -> a => 2\na clone CLONE_NEWPID -> b => 3\ninit read /proc/3/status\nb read /proc/self/status\n"));
        Assert.True(result.Same, string.Join("\n", result.Transcripts()));
        Assert.Equal("\"Tgid:\t3\\nPid:\t3\\nPPid:\t2\\nNStgid:\t3\t1\\nNSpid:\t3\t1\"", result.Linux!.Outcomes[2].Result);
    }

    private ConformResult Run(Scenario scenario)
    {
        var settings = ScenarioExecution.EffectiveSettings(scenario, fixture.Runner.Settings);
        var model = fixture.Runner.Run(scenario);
        var linux = LinuxRunner.Run(scenario, settings, ConformPlan.For(scenario, settings), new LinuxRunnerOptions());
        return ConformResult.Compare(scenario, model, linux);
    }
}
