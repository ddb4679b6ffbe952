using Actors.Kernel.Pid;
using Actors.Kernel.Tasks;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Xunit;
using Xunit.Abstractions;

namespace Actors.Kernel.Specs;

/// <summary>System-call helpers shared by the end-to-end specs (on a <see cref="KernelSpec"/> or a
/// <see cref="ConfiguredKernelSpec"/>).</summary>
internal static class SyscallHelpers
{
    public static Calls.Clone Clone(CloneFlags flags, params int[] setTid) => new(flags, [.. setTid]);

    public static Calls.Wait Wait(int pid = -1, bool noHang = false) => new(pid, noHang);

    public static Calls.Exit Exit(int code = 0) => new(code, false);

    public static int RootNr(TaskRecord t) => t.Pid.Numbers[0].Nr;

    /// <summary>The value of a successful call.</summary>
    public static long Ok(SyscallResult r)
    {
        Assert.False(r.Dead, "the task died");
        Assert.Equal(Errno.None, r.Errno);
        return r.Value;
    }

    /// <summary>The errno of a failed call.</summary>
    public static Errno Err(SyscallResult r)
    {
        Assert.False(r.Dead, "the task died");
        Assert.Equal(-1, r.Value);
        return r.Errno;
    }

    /// <summary>One field of a /proc status text, e.g. "PPid".</summary>
    public static string Field(SyscallResult r, string field)
    {
        Assert.NotNull(r.Text);
        var line = r.Text.Split('\n').Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line[(field.Length + 1)..].Trim();
    }
}

/// <summary>A <see cref="KernelSpec"/> with helpers for calls that block and for waiting on the task list.</summary>
public abstract class ProcessSpec(ITestOutputHelper output) : KernelSpec(output)
{
    private long _started = 1_000_000;

    /// <summary>Starts <paramref name="call"/> as <paramref name="task"/> without waiting; the result goes to the
    /// returned probe.</summary>
    protected TestProbe Start(TaskRecord task, Syscall call, out long corr)
    {
        var probe = CreateTestProbe();
        corr = ++_started;
        task.Actor.Tell(new TaskProtocol.Call(corr, call), probe);
        return probe;
    }

    /// <summary>Waits until the task list has put <paramref name="t"/> in <paramref name="state"/>.</summary>
    protected void AwaitExitState(TaskRecord t, ExitState state) => AwaitAssert(() => Assert.Equal(state, t.ExitState));

    /// <summary>Waits until <paramref name="t"/> was released (reaped) and its numbers are free.</summary>
    protected void AwaitReleased(TaskRecord t) => AwaitAssert(() =>
    {
        Assert.False(Ctx.View.Tasks!.Tasks.ContainsKey(t.Id));
        foreach (var u in t.Pid.Numbers)
        {
            Assert.False(Ctx.View.PidMapOf(u.Ns)?.IsTaken(u.Nr) ?? false, $"{u.Nr} still taken in {u.Ns}");
        }
    });

    /// <summary>Quiescent invariants hold and no model actor threw.</summary>
    protected void AssertHealthy()
    {
        AwaitQuiescentInvariants();
        Assert.Empty(Ctx.Failures);
    }

    /// <summary>The pid map state of <paramref name="ns"/> (while it is registered).</summary>
    protected PidMap MapOf(NsHandle ns) => Ctx.View.PidMapOf(ns) ?? throw new Xunit.Sdk.XunitException($"{ns} has no pid map");
}

/// <summary>Like <see cref="KernelSpec"/>, but with extra HOCON layered over test.conf (for limits).</summary>
public abstract class ConfiguredKernelSpec : TestKit
{
    private long _corr;

    protected ConfiguredKernelSpec(ITestOutputHelper output, string hocon)
        : base(Akka.Configuration.ConfigurationFactory.ParseString(hocon)
            .WithFallback(KernelConfig.WithDefaults(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "test.conf")))), output: output)
    {
        Ctx = new KernelContext(KernelSettings.From(Sys.Settings.Config));
        Sys.ActorOf(KernelActor.Props(Ctx, TestActor), "kernel");
        Init = ExpectMsg<KernelProtocol.Booted>().Init;
    }

    protected KernelContext Ctx { get; }

    protected TaskRecord Init { get; }

    protected SyscallResult Call(TaskRecord task, Syscall call)
    {
        var corr = ++_corr;
        task.Actor.Tell(new TaskProtocol.Call(corr, call), TestActor);
        var result = ExpectMsg<SyscallResult>();
        Assert.Equal(corr, result.Corr);
        return result;
    }

    protected TaskRecord Fork(TaskRecord parent, Syscall? call = null)
    {
        var r = Call(parent, call ?? new Calls.Fork());
        Assert.Equal(Errno.None, r.Errno);
        return r.NewTask!;
    }

    protected void AssertHealthy()
    {
        AwaitAssert(() => Specifications.KernelInvariants.CheckQuiescent(Ctx.View));
        Assert.Empty(Ctx.Failures);
    }
}
