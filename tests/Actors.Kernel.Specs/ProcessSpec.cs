using Actors.Kernel.Pid;
using Actors.Kernel.Tasks;
using Akka.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace Actors.Kernel.Specs;

/// <summary>System-call helpers shared by the end-to-end specs (on a <see cref="KernelSpec"/>).</summary>
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
public abstract class ProcessSpec(ITestOutputHelper output, string hocon = "") : KernelSpec(output, hocon)
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

    /// <summary>The pid map state of <paramref name="ns"/> (while it is registered).</summary>
    protected PidMap MapOf(NsHandle ns) => Ctx.View.PidMapOf(ns) ?? throw new Xunit.Sdk.XunitException($"{ns} has no pid map");
}

