using Actors.Kernel;
using Xunit;
using Xunit.Abstractions;

namespace Actors.Stress.Tests;

public sealed class StressRunTests(ITestOutputHelper output)
{
    private StressReport Run(string hocon, StressOptions options)
    {
        output.WriteLine($"seed {options.Seed}, {options.Tasks} tasks, depth {options.Depth}, ops {options.Ops}");
        using var run = new StressRun(KernelConfig.WithDefaults(hocon), options);
        var report = run.RunAsync().GetAwaiter().GetResult();
        output.WriteLine($"{report.Ops} ops, {report.ForkExitReap} fork+exit+reap, {report.LiveTasks} tasks, audit: {report.AuditFailure ?? "passed"}");
        return report;
    }

    [Theory]
    [InlineData(1UL, 1)]
    [InlineData(2UL, 4)]
    [InlineData(3UL, 33)]
    public void Stress_run_with_every_operation_passes_the_audit(ulong seed, int depth)
    {
        var report = Run("", new StressOptions(16, null, 3000, seed, depth, StressOptions.DefaultMix));
        Assert.True(report.AuditPassed, report.AuditFailure);
        Assert.Equal(3000, report.Ops);
        Assert.True(report.ForkExitReap > 0);
        Assert.True(report.Calls.ContainsKey("clone CLONE_NEWPID") && report.Calls.ContainsKey("msgget"));
    }

    [Fact]
    public void Stress_audit_fails_on_the_deliberately_broken_model()
    {
        var mix = new Dictionary<OpKind, int> { [OpKind.Fork] = 1, [OpKind.Exit] = 1 };
        // A small pid_max makes the cursor come round, so a fork soon takes a number a zombie gave back too early.
        var report = Run("actors.kernel.testing.break = free-pid-at-exit\nactors.kernel.pid-max = 1000", new StressOptions(8, null, 8000, 5, 1, mix));
        Assert.False(report.AuditPassed);
    }

    [Fact]
    public async Task Stress_run_stopped_midway_finishes_its_operations_and_still_audits()
    {
        var options = new StressOptions(8, TimeSpan.FromMinutes(5), null, 9, 2, StressOptions.DefaultMix);
        using var run = new StressRun(KernelConfig.Default(), options);
        var running = run.RunAsync();
        SpinWait.SpinUntil(() => run.Stats.Ops > 500, TimeSpan.FromSeconds(30));
        run.Stop(); // what Ctrl-C does
        var report = await running;
        output.WriteLine($"seed 9: stopped after {report.Ops} ops, audit: {report.AuditFailure ?? "passed"}");
        Assert.True(report.Interrupted);
        Assert.True(report.Seconds < 60);
        Assert.True(report.AuditPassed, report.AuditFailure);
    }

    [Theory]
    [InlineData("fork=3,exit=1", true)]
    [InlineData("next_id=2,set_tid=1", true)]
    [InlineData("fork=0", false)]
    [InlineData("spawn=1", false)]
    [InlineData("fork=x", false)]
    public void ParseMix_accepts_only_known_kinds_with_weights(string text, bool valid)
    {
        var mix = StressOptions.ParseMix(text, out var error);
        Assert.Equal(valid, mix is not null);
        Assert.Equal(valid, error is null);
    }
}
