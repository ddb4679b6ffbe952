using Actors.Kernel.Tasks;
using Akka.TestKit.Xunit2;
using Xunit;
using Xunit.Abstractions;

namespace Actors.Kernel.Specs;

/// <summary>Base class of the protocol specs: a kernel on the thread-pool dispatcher with invariants checked after
/// every message, and helpers to make system calls through TestKit.</summary>
public abstract class KernelSpec : TestKit
{
    private long _corr;

    /// <param name="output">xunit's output (Akka logs go there).</param>
    /// <param name="hocon">Extra configuration layered over hocon/test.conf (e.g. a small limit).</param>
    protected KernelSpec(ITestOutputHelper output, string hocon = "")
        : base(Akka.Configuration.ConfigurationFactory.ParseString(hocon)
            .WithFallback(KernelConfig.WithDefaults(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "test.conf")))), output: output)
    {
        Ctx = new KernelContext(KernelSettings.From(Sys.Settings.Config));
        Sys.ActorOf(KernelActor.Props(Ctx, TestActor), "kernel");
        Init = ExpectMsg<KernelProtocol.Booted>().Init;
    }

    protected KernelContext Ctx { get; }

    protected TaskRecord Init { get; }

    /// <summary>Makes <paramref name="call"/> as <paramref name="task"/> and returns its result.</summary>
    protected SyscallResult Call(TaskRecord task, Syscall call)
    {
        var corr = ++_corr;
        task.Actor.Tell(new TaskProtocol.Call(corr, call), TestActor);
        var result = ExpectMsg<SyscallResult>();
        Assert.Equal(corr, result.Corr);
        return result;
    }

    /// <summary>Forks <paramref name="parent"/> and returns the child (the call must succeed).</summary>
    protected TaskRecord Fork(TaskRecord parent, Syscall? call = null)
    {
        var r = Call(parent, call ?? new Calls.Fork());
        Assert.Equal(Errno.None, r.Errno);
        return r.NewTask!;
    }

    /// <summary>Waits until the kernel is idle and checks every invariant of every state class.</summary>
    protected void AwaitQuiescentInvariants()
    {
        AwaitAssert(() =>
        {
            Ctx.View.Tasks!.CheckInvariants();
            foreach (var map in Ctx.View.PidMaps)
            {
                map.CheckInvariants();
            }
            Specifications.KernelInvariants.CheckQuiescent(Ctx.View);
        });
    }

    /// <summary>The kernel is quiescent with every invariant holding, and no model actor threw.</summary>
    protected void AssertHealthy()
    {
        AwaitAssert(() => Specifications.KernelInvariants.CheckQuiescent(Ctx.View));
        Assert.Empty(Ctx.Failures);
    }
}
