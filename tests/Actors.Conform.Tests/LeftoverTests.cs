using System.Diagnostics;
using Actors.Scenarios;
using Xunit;
using Xunit.Abstractions;

namespace Actors.Conform.Tests;

/// <summary>After every run, also a failing or an interrupted one, no helper process, scenario task, namespace or IPC
/// object stays behind. Every process descended from the helper is recorded while it runs, with its pid, IPC and
/// mount namespaces; afterwards none of those processes may exist (zombies included), no process may hold one of those
/// namespaces, and the host's SysV IPC objects must be as before.</summary>
[Collection(nameof(LeftoverTests))] // one at a time: each looks at the whole machine
public sealed class LeftoverTests(ConformFixture fixture, ITestOutputHelper output) : IClassFixture<ConformFixture>
{
    /// <summary>Processes in nested pid namespaces, a thread, a zombie, objects in two IPC namespaces, an unshared
    /// pid namespace, a blocked wait.</summary>
    private const string Populated =
        "init fork -> a\n" +
        "a clone CLONE_NEWPID|CLONE_NEWIPC -> b\n" +
        "b fork -> c\n" +
        "c clone CLONE_NEWPID -> d\n" +
        "d fork -> e\n" +
        "a clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> t\n" +
        "init msgget 77 IPC_CREAT|0600\n" +
        "b shmget IPC_PRIVATE 4096 IPC_CREAT|0600\n" +
        "e semget IPC_PRIVATE 1 IPC_CREAT|0600\n" +
        "a unshare CLONE_NEWPID\n" +
        "a fork -> f\n" +
        "e exit 0\n" +
        "init fork -> g\n" +
        "init wait $a WNOHANG\n";

    [Fact]
    public void Nothing_is_left_after_a_normal_run() =>
        Check(Populated + "init getpid => 1\n", (watch, helper, step) => watch.Observe(helper.Pid), r =>
        {
            Assert.True(r.Same, string.Join("\n", r.Transcripts()));
            Assert.Null(r.Linux!.HelperError);
        });

    [Fact]
    public void Nothing_is_left_after_a_failing_run() =>
        // Expectations fail on both sides, a read differs, and a name whose clone failed stops the file half way.
        Check(Populated + "init getpid => 7\ninit read /proc/sys/kernel/osrelease\ninit clone CLONE_THREAD -> x\nx getpid\nb getpid\n",
            (watch, helper, step) => watch.Observe(helper.Pid), r =>
            {
                Assert.False(r.Same);
                Assert.NotNull(r.Linux!.Error);
            });

    [Fact]
    public void Nothing_is_left_after_the_helper_is_killed_mid_scenario() =>
        Check(Populated + "init getpid => 1\nb getpid => 1\n", (watch, helper, step) =>
        {
            watch.Observe(helper.Pid);
            if (step?.Call == "getpid" && step.Task == "init")
            {
                helper.Kill();
            }
        }, r => Assert.Contains("the helper ended at line 15 (killed by signal 9)", r.Linux!.HelperError, StringComparison.Ordinal));

    [Theory]
    [InlineData("SIGKILL")]
    [InlineData("SIGTERM")]
    [InlineData("SIGINT")]
    public async Task Nothing_is_left_after_the_conform_command_is_interrupted(string signal)
    {
        using var dir = new TempDir();
        // Ten waits that block (ACTORS_CONFORM_WAIT_MS each) keep the helper busy while the command is killed.
        var file = dir.Write("long.scn", Populated + string.Concat(Enumerable.Repeat("init wait\n", 10)));
        var ipcBefore = ProcessWatch.HostIpc();
        var watch = new ProcessWatch();
        using var actors = Process.Start(Cli.StartInfo(["conform", file], new Dictionary<string, string> { ["ACTORS_CONFORM_WAIT_MS"] = "1000" }))!;
        var stdout = actors.StandardOutput.ReadToEndAsync();
        var stderr = actors.StandardError.ReadToEndAsync();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        // Wait until the helper has built the whole population: the helper, init, a (with its thread t), b, c, d, e,
        // f, g; pid namespaces of init, b, d and a's unshare, IPC namespaces of init and b, init's mount namespace.
        while (watch.NamespaceCount < 7 || ProcessWatch.Descendants(actors.Id).Count() < 9)
        {
            Assert.True(DateTime.UtcNow < until, "the scenario did not get going within 60 s");
            if (actors.HasExited)
            {
                Assert.Fail($"actors exited early: {await stdout} {await stderr}");
            }
            watch.Observe(actors.Id);
            await Task.Delay(20);
        }
        await Task.Delay(300);
        watch.Observe(actors.Id);
        output.WriteLine($"watching {watch.ProcessCount} processes, {watch.NamespaceCount} namespaces, {watch.CgroupCount} cgroups; sending {signal}");
        Assert.Equal(2, watch.CgroupCount);
        Assert.Equal(0, Kill(actors.Id, signal));
        Assert.True(actors.WaitForExit(TimeSpan.FromSeconds(30)), "actors did not end");
        output.WriteLine($"actors ended with status {actors.ExitCode}: {await stdout} {await stderr}");
        AssertClean(watch, ipcBefore);
    }

    private void Check(string text, Action<ProcessWatch, HelperProcess, Step?> hook, Action<ConformResult> verify)
    {
        var ipcBefore = ProcessWatch.HostIpc();
        var watch = new ProcessWatch();
        var scenario = ScenarioParser.Parse("leftovers.scn", text);
        var settings = ScenarioExecution.EffectiveSettings(scenario, fixture.Runner.Settings);
        var model = fixture.Runner.Run(scenario);
        var linux = LinuxRunner.Run(scenario, settings, ConformPlan.For(scenario, settings),
            new LinuxRunnerOptions(), (helper, step) => hook(watch, helper, step));
        var result = ConformResult.Compare(scenario, model, linux);
        foreach (var line in result.Transcripts().Concat(result.Report()))
        {
            output.WriteLine(line);
        }
        output.WriteLine($"watched {watch.ProcessCount} processes, {watch.NamespaceCount} namespaces, {watch.CgroupCount} cgroups");
        verify(result);
        Assert.True(watch.ProcessCount >= 8, $"only {watch.ProcessCount} processes seen");
        Assert.True(watch.NamespaceCount >= 7, $"only {watch.NamespaceCount} namespaces seen");
        Assert.Equal(2, watch.CgroupCount); // the helper's scratch cgroups, pids and unified
        AssertClean(watch, ipcBefore);
    }

    private static void AssertClean(ProcessWatch watch, string ipcBefore)
    {
        // After a SIGKILLed helper its init dies by PR_SET_PDEATHSIG and is reaped by the system's init.
        Assert.Null(watch.Leftovers(TimeSpan.FromSeconds(15)));
        Assert.Equal(0, watch.ProcessesInWatchedNamespaces());
        Assert.Equal(ipcBefore, ProcessWatch.HostIpc());
    }

    private static int Kill(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal[3..], pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        return kill.ExitCode;
    }
}
