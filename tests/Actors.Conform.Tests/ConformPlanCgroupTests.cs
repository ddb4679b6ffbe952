using Actors.Kernel;
using Actors.Scenarios;
using Xunit;

namespace Actors.Conform.Tests;

/// <summary>Which cgroup steps <c>actors conform</c> leaves to the model (docs/scenario-language.md, "Cgroups"), and that
/// the cgroup config keys never reach the helper. The scenarios are built directly, not parsed, so that these tests do
/// not depend on the parser knowing the cgroup calls and keys.</summary>
public sealed class ConformPlanCgroupTests
{
    [Fact]
    public void Steps_on_pids_and_unified_run_on_linux()
    {
        var plan = Plan([],
            "init mkdir /sys/fs/cgroup/pids/a",
            "init write /sys/fs/cgroup/pids/a/cgroup.procs 1",
            "init read /sys/fs/cgroup/pids/a/pids.current",
            "init rmdir /sys/fs/cgroup/pids/a",
            "init read /sys/fs/cgroup/pids",
            "init mkdir /sys/fs/cgroup/unified/b",
            "init read /sys/fs/cgroup/unified/b/cgroup.events",
            "init read /proc/self/cgroup");
        Assert.Empty(plan.ModelOnlySteps);
    }

    [Fact]
    public void Steps_on_other_hierarchies_are_model_only()
    {
        var scenario = Build([],
            "init mkdir /sys/fs/cgroup/cpu/a",
            "init write /sys/fs/cgroup/cpuset/tasks 1",
            "init read /sys/fs/cgroup/memory/tasks",
            "init rmdir /sys/fs/cgroup/freezer/a",
            "init read /sys/fs/cgroup/pidsx",
            "init read /sys/fs/cgroup",
            "init fork -> a",
            "a read /sys/fs/cgroup/pids/tasks");
        var plan = ConformPlan.For(scenario, new KernelSettings());
        Assert.Equal([1, 2, 3, 4, 5, 6], plan.ModelOnlySteps.Select(kv => kv.Key));
        Assert.Contains("cgroup hierarchy cpu", plan.ModelOnlyReason(scenario.Steps.First()), StringComparison.Ordinal);
        Assert.Contains("not a cgroup of a hierarchy", plan.ModelOnlyReason(scenario.Steps.ElementAt(5)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cgroup_v1", "cpu,cpuset,memory,freezer")]
    [InlineData("cgroup_v1", "")]
    [InlineData("cgroup_v2", "pids")]
    [InlineData("release_agent", "/sbin/agent")]
    public void A_changed_cgroup_config_makes_every_cgroup_step_model_only(string key, string value)
    {
        var scenario = Build([(key, value)],
            "init mkdir /sys/fs/cgroup/pids/a",
            "init fork -> a",
            "init write /sys/fs/cgroup/unified/cgroup.procs $a",
            "a getpid",
            "init read /proc/self/cgroup");
        var plan = ConformPlan.For(scenario, new KernelSettings());
        Assert.Equal([1, 3], plan.ModelOnlySteps.Select(kv => kv.Key));
        Assert.Contains($"config changes {key}", plan.ModelOnlyReason(scenario.Steps.First()), StringComparison.Ordinal);
    }

    [Fact]
    public void The_reference_machines_values_change_nothing()
    {
        var scenario = Build([("cgroup_v1", "freezer,memory,cpuset,cpu,pids"), ("cgroup_v2", ""), ("release_agent", "")],
            "init mkdir /sys/fs/cgroup/pids/a");
        Assert.Null(ConformPlan.ChangedCgroupConfig(scenario));
        Assert.Empty(ConformPlan.For(scenario, new KernelSettings()).ModelOnlySteps);
    }

    [Fact]
    public void The_last_config_line_of_a_key_decides()
    {
        Assert.Equal("cgroup_v2, release_agent",
            ConformPlan.ChangedCgroupConfig(Build([("cgroup_v2", ""), ("release_agent", "/a"), ("cgroup_v2", "pids")])));
        Assert.Null(ConformPlan.ChangedCgroupConfig(Build([("cgroup_v2", "pids"), ("cgroup_v2", "")])));
    }

    [Fact]
    public void The_models_own_files_are_model_only()
    {
        var plan = Plan([], "init read /actors/cgroup/pids/release_agent.calls", "init write /actors/x 1", "init getpid");
        Assert.Equal([1, 2], plan.ModelOnlySteps.Select(kv => kv.Key));
    }

    [Fact]
    public void Paths_that_leave_the_scratch_cgroups_are_model_only()
    {
        var plan = Plan([],
            "init read /sys/fs/cgroup/pids/../cpu/tasks",
            "init rmdir /sys/fs/cgroup/unified/a/..",
            "init read /proc/self/root/sys/fs/cgroup/pids/tasks",
            "init read /sys/fs/cgroup/pids/a..b/tasks");
        Assert.Equal([1, 2, 3], plan.ModelOnlySteps.Select(kv => kv.Key));
    }

    [Fact]
    public void Forks_after_a_model_only_pids_limit_are_model_only_and_so_are_their_children()
    {
        var scenario = Build([("cgroup_v1", "cpu"), ("cgroup_v2", "pids")],
            "init fork -> a",
            "init write /sys/fs/cgroup/unified/pids.max 2",
            "a getpid",
            "init fork -> b",
            "b getpid",
            "a clone CLONE_THREAD|CLONE_SIGHAND|CLONE_VM");
        var plan = ConformPlan.For(scenario, new KernelSettings());
        Assert.Equal([2, 4, 5, 6], plan.ModelOnlySteps.Select(kv => kv.Key));
        Assert.Contains("/sys/fs/cgroup/unified/pids.max", plan.ModelOnlyReason(scenario.Steps.ElementAt(3)), StringComparison.Ordinal);
        Assert.Contains("which only the model created", plan.ModelOnlyReason(scenario.Steps.ElementAt(4)), StringComparison.Ordinal);
    }

    [Fact]
    public void Cgroup_config_keys_are_not_sent_to_the_helper()
    {
        // The helper refuses unknown config keys (exit 2): a run that gets to the end never sent them.
        var scenario = Build([("cgroup_v1", "cpu"), ("cgroup_v2", "pids"), ("release_agent", "/sbin/agent")],
            "init mkdir /sys/fs/cgroup/pids/a",
            "init read /actors/cgroup/cpu/release_agent.calls",
            "init getpid");
        var settings = new KernelSettings();
        var run = LinuxRunner.Run(scenario, settings, ConformPlan.For(scenario, settings), new LinuxRunnerOptions());
        Assert.Null(run.HelperError);
        Assert.Equal([LinuxRunner.ModelOnly, LinuxRunner.ModelOnly, "1"], run.Outcomes.Select(o => o.Result));
    }

    [Fact]
    public void Pids_and_unified_steps_reach_the_scratch_cgroups()
    {
        var scenario = Build([],
            "init mkdir /sys/fs/cgroup/pids/a",
            "init fork -> a",
            "init write /sys/fs/cgroup/pids/a/cgroup.procs $a",
            "init read /sys/fs/cgroup/pids/a/cgroup.procs",
            "init read /sys/fs/cgroup/pids/cgroup.procs",
            "init mkdir /sys/fs/cgroup/cpu/a",
            "init read /sys/fs/cgroup/unified/cgroup.type");
        var settings = new KernelSettings();
        var run = LinuxRunner.Run(scenario, settings, ConformPlan.For(scenario, settings), new LinuxRunnerOptions());
        Assert.Null(run.HelperError);
        Assert.Equal(["0", "2", "0", "\"2\"", "\"1\"", LinuxRunner.ModelOnly, "\"domain\""], run.Outcomes.Select(o => o.Result));
    }

    private static ConformPlan Plan(IReadOnlyList<(string Key, string Value)> config, params string[] steps) =>
        ConformPlan.For(Build(config, steps), new KernelSettings());

    /// <summary>A scenario of <paramref name="steps"/> (<c>TASK CALL ARG... [-&gt; NAME]</c>, one per line from line 1),
    /// with <paramref name="config"/> entries; arguments: integers, <c>$NAME</c>, words.</summary>
    private static Scenario Build(IReadOnlyList<(string Key, string Value)> config, params string[] steps)
    {
        var items = new List<ScenarioItem>();
        for (var i = 0; i < steps.Length; i++)
        {
            var words = steps[i].Split(' ');
            var bind = words.Length > 3 && words[^2] == "->" ? words[^1] : null;
            var args = words.Skip(2).Take(words.Length - 2 - (bind is null ? 0 : 2)).Select(Arg).ToList();
            items.Add(new Step(i + 1, words[0], words[1], args, bind, null, steps[i]));
        }
        return new Scenario("built.scn", config.Select(c => new ConfigEntry(0, c.Key, c.Value)).ToList(), items);
    }

    private static Arg Arg(string word) =>
        long.TryParse(word, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? new Arg.Int(n)
            : word.StartsWith('$') ? new Arg.TaskRef(word[1..]) : new Arg.Word(word);
}
