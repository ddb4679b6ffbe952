using Actors.Kernel.Ipc;
using Actors.Kernel.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace Actors.Kernel.Specs;

/// <summary>The IPC namespace actor and next_id through the task actors.</summary>
public sealed class IpcSpec(ITestOutputHelper output) : KernelSpec(output)
{
    [Fact]
    public void IpcNamespace_must_allocate_ids_and_consume_the_requested_id_once()
    {
        Assert.Equal(0, Call(Init, new Calls.IpcGet(IpcType.Msg, IpcConstants.PrivateKey, 0x180, 0)).Value);
        Assert.Equal(Errno.None, Call(Init, new Calls.Write("/proc/thread-self/next_id", "LONG 32769")).Errno);
        Assert.Equal(32769, Call(Init, new Calls.IpcGet(IpcType.Msg, IpcConstants.PrivateKey, 0x180, 0)).Value);
        Assert.Equal("", Call(Init, new Calls.Read("/proc/thread-self/next_id")).Text);
        Assert.Equal(Errno.None, Call(Init, new Calls.Write("/proc/thread-self/next_id", "LONG 1")).Errno);
        Assert.Equal(Errno.EEXIST, Call(Init, new Calls.IpcGet(IpcType.Msg, IpcConstants.PrivateKey, 0x180, 0)).Errno);
        Assert.Equal(Errno.None, Call(Init, new Calls.IpcRemove(IpcType.Msg, 32769)).Errno);
        Assert.Equal(Errno.EINVAL, Call(Init, new Calls.IpcRemove(IpcType.Msg, 32769)).Errno);
        AwaitQuiescentInvariants();
    }

    [Fact]
    public void Unshare_CLONE_NEWIPC_must_give_a_fresh_namespace_that_dies_with_its_last_nsproxy()
    {
        var a = Fork(Init);
        Assert.Equal(Errno.None, Call(a, new Calls.Unshare(CloneFlags.CLONE_NEWIPC)).Errno);
        Assert.Equal(2, Ctx.View.IpcNamespaces.Count);
        Assert.Equal(0, Call(a, new Calls.IpcGet(IpcType.Sem, 5, 0x200 | 0x180, 1)).Value);
        Assert.Equal(Errno.ENOENT, Call(Init, new Calls.IpcGet(IpcType.Sem, 5, 0, 1)).Errno);
        Call(a, new Calls.Exit(0, false));
        AwaitAssert(() => Assert.Single(Ctx.View.IpcNamespaces));
        AwaitQuiescentInvariants();
    }

    [Fact]
    public void Fork_must_use_and_clear_the_next_id_of_the_forking_thread_only()
    {
        var a = Fork(Init);
        Assert.Equal(Errno.None, Call(a, new Calls.Write("/proc/thread-self/next_id", "LONG 777")).Errno);
        var b = Fork(Init);
        Assert.NotEqual(777, b.Pid.Numbers[0].Nr);
        var c = Fork(a);
        Assert.Equal(777, c.Pid.Numbers[0].Nr);
        Assert.Equal("", Call(a, new Calls.Read("/proc/thread-self/next_id")).Text);
        AwaitQuiescentInvariants();
    }
}
