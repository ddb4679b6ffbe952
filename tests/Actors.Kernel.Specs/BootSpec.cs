using Actors.Kernel.Tasks;
using Xunit;
using Xunit.Abstractions;
using static Actors.Kernel.Specs.SyscallHelpers;

namespace Actors.Kernel.Specs;

/// <summary>The kernel's boot (KernelActor): the initial namespace, its pid map, and init as pid 1 and child reaper.</summary>
public sealed class BootSpec(ITestOutputHelper output) : ProcessSpec(output)
{
    [Fact]
    public void Kernel_must_boot_init_as_pid_1_of_the_root_namespace()
    {
        var root = Ctx.View.RootNs!;

        Assert.Same(root, Init.Pid.Ns);
        Assert.Equal(0, root.Level);
        Assert.Equal(1, RootNr(Init));
        Assert.Same(Init, Ctx.View.Tasks!.ChildReaperOf(root));
        Assert.True(Init.Group.Unkillable);
        Assert.Equal(3, root.Refs); // init's pid, init's nsproxy, the kernel
        AwaitAssert(() => Assert.Same(MapOf(root), Assert.Single(Ctx.View.PidMaps)));
        Assert.Equal(1, MapOf(root).Count);
        Assert.Equal(32768, MapOf(root).PidMax);
        Assert.Equal(1, Ok(Call(Init, new Calls.GetPid())));
        AssertHealthy();
    }

    /// <summary>reference.conf names the model dispatcher's mailbox: every model actor, tasks included, gets an
    /// <see cref="Mailboxes.MpscMessageQueue"/> (Akka's default would be a ConcurrentQueue of over 1 KB per actor).</summary>
    [Fact]
    public void Model_actors_must_get_the_mpsc_mailbox_queue()
    {
        var child = Fork(Init, new Calls.Fork());
        foreach (var actor in new[] { Init.Actor, child.Actor, Ctx.View.TaskListActor, Ctx.View.Kernel })
        {
            var cell = Assert.IsType<Akka.Actor.ActorCell>(((Akka.Actor.ActorRefWithCell)actor).Underlying, exactMatch: false);
            Assert.IsType<Mailboxes.MpscMessageQueue>(cell.Mailbox!.MessageQueue);
        }
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(RootNr(child), Ok(Call(child, new Calls.GetPid())));
        }
        AssertHealthy();
    }

    // Race on the thread-pool dispatcher (fails about 9 runs in 10 here; the controlled dispatcher's FIFO hides it).
    [Fact]
    public void Kernel_must_tell_the_root_pid_map_that_it_has_a_child_reaper()
    {
        AwaitAssert(() => Assert.True(MapOf(Ctx.View.RootNs!).HasChildReaper), TimeSpan.FromSeconds(1));
        Assert.Equal(500, RootNr(Fork(Init, Clone(CloneFlags.None, 500))));
        Assert.Equal(Errno.EEXIST, Err(Call(Init, Clone(CloneFlags.None, 500))));
    }
}
