using Actors.Kernel.Pid;
using Actors.Kernel.Tasks;
using Xunit;
using Xunit.Abstractions;
using static Actors.Kernel.Specs.SyscallHelpers;

namespace Actors.Kernel.Specs;

/// <summary>Spec 1.3/1.4, the 2007 "Remove nsproxy->pid_ns" rule: a task's namespace comes from its pid, not its
/// nsproxy; the nsproxy goes early in do_exit, yet the zombie's namespace stays valid (reparenting, /proc, wait) and
/// is destroyed only after the last pid allocated in it was freed.</summary>
public sealed class NamespaceLifetimeSpec(ITestOutputHelper output) : ProcessSpec(output)
{
    [Fact]
    public void Namespace_must_outlive_the_nsproxy_of_its_zombie_init_and_die_when_the_zombie_is_reaped()
    {
        var a = Fork(Init);
        var n = Fork(a, Clone(CloneFlags.CLONE_NEWPID));
        var ns1 = n.Pid.Ns;
        AwaitAssert(() => Assert.Equal(2, ns1.Refs));          // n's pid and n's nsproxy
        var watcher = CreateTestProbe();
        watcher.Watch(ns1.NsActor);
        watcher.Watch(ns1.PidMap);

        Ok(Call(n, Exit()));
        AwaitExitState(n, ExitState.Zombie);

        AwaitAssert(() => Assert.Equal(1, ns1.Refs));          // the nsproxy went in do_exit; the pid stays
        Assert.False(ns1.Destroyed);
        Assert.Same(n.Pid, MapOf(ns1).Find(1));
        Assert.Contains(Ctx.View.Namespaces, x => x.Handle == ns1);
        Assert.Equal("3\t1", Field(Call(Init, new Calls.Read("/proc/3/status")), "NSpid"));
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Assert.Equal(3, Ok(Call(a, Wait())));

        var gone = new[] { watcher.ExpectMsg<Akka.Actor.Terminated>().ActorRef, watcher.ExpectMsg<Akka.Actor.Terminated>().ActorRef };
        Assert.Contains(ns1.NsActor, gone);
        Assert.Contains(ns1.PidMap, gone);
        AwaitAssert(() =>
        {
            Assert.True(ns1.Destroyed);
            Assert.Null(Ctx.View.PidMapOf(ns1));
            Assert.DoesNotContain(Ctx.View.Namespaces, x => x.Handle == ns1);
        });
        AssertHealthy();
    }

    [Fact]
    public void Reparenting_must_use_the_namespace_of_the_exiting_task_pid_after_its_nsproxy_is_gone()
    {
        var a = Fork(Init);
        var n = Fork(a, Clone(CloneFlags.CLONE_NEWPID));       // 3, ns1 1
        var y = Fork(n);                                        // 4, ns1 2
        Ok(Call(y, new Calls.Unshare(CloneFlags.CLONE_NEWPID)));
        var x = Fork(y);                                        // 5, ns1 3, ns2 1: init of y's pid_ns_for_children
        var w = Fork(y);                                        // 6, ns1 4, ns2 2
        var ns1 = n.Pid.Ns;
        var ns2 = x.Pid.Ns;
        Assert.Same(ns1, ns2.Parent);
        Assert.Same(x, Ctx.View.Tasks!.ChildReaperOf(ns2));

        Ok(Call(y, Exit()));
        AwaitExitState(y, ExitState.Zombie);

        // y's nsproxy (children in ns2) is gone; its children go to the reaper of y's own namespace, ns1.
        AwaitAssert(() => Assert.Same(n, x.Group.RealParent));
        Assert.Same(n, w.Group.RealParent);
        Assert.Equal(0, Ok(Call(x, new Calls.GetPpid())));       // n is not visible in ns2
        Assert.Equal("3", Field(Call(Init, new Calls.Read("/proc/5/status")), "PPid"));
        Assert.Equal(2, Ok(Call(n, Wait(2))));
        AwaitReleased(y);
        // ns2: x's and w's pids and their shared nsproxy (y's reference on it went with y).
        AwaitAssert(() => Assert.Equal(3, ns2.Refs));
        AssertHealthy();
    }

    [Fact]
    public void Namespace_must_be_destroyed_only_after_the_last_pid_allocated_in_it_is_freed()
    {
        var a = Fork(Init);
        var n = Fork(a, Clone(CloneFlags.CLONE_NEWPID));       // 3, ns1 1
        Ok(Call(n, new Calls.Unshare(CloneFlags.CLONE_NEWPID)));
        var x = Fork(n);                                        // 4, ns1 2, ns2 1
        var v = Fork(n);                                        // 5, ns1 3, ns2 2
        var ns2 = x.Pid.Ns;
        var watcher = CreateTestProbe();
        watcher.Watch(ns2.NsActor);

        Ok(Call(n, new Calls.Setns(n, CloneFlags.CLONE_NEWPID)));    // only x's and v's nsproxy still holds ns2
        Ok(Call(x, Exit()));                                    // ns2's init dies: v is killed
        AwaitExitState(v, ExitState.Zombie);                   // v's parent n is outside ns2: v stays a zombie
        Assert.Equal(ExitState.Running, x.ExitState);          // x waits in zap for v's number to go
        Assert.False(ns2.Destroyed);
        Assert.True(MapOf(ns2).IsTaken(2));
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Assert.Equal(3, Ok(Call(n, Wait(3))));
        AwaitExitState(x, ExitState.Zombie);
        Assert.False(ns2.Destroyed);                           // x's pid still holds it
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Assert.Equal(2, Ok(Call(n, Wait(2))));
        watcher.ExpectTerminated(ns2.NsActor);
        Assert.True(ns2.Destroyed);
        AssertHealthy();
        Assert.Equal(2, Ctx.View.Namespaces.Count);
    }

    [Fact]
    public void Namespace_created_by_unshare_must_die_with_the_last_nsproxy_if_no_pid_was_allocated_in_it()
    {
        var a = Fork(Init);
        Ok(Call(a, new Calls.Unshare(CloneFlags.CLONE_NEWPID)));
        var ns1 = AwaitNamespaceAt(level: 1);
        Assert.Equal(1, ns1.Refs);
        Watch(ns1.NsActor);

        Ok(Call(a, Exit()));

        ExpectTerminated(ns1.NsActor);
        AwaitExitState(a, ExitState.Zombie);                   // a itself lives in ns0, as a zombie
        Assert.Equal(2, Ok(Call(Init, Wait())));
        AssertHealthy();
    }

    [Fact]
    public void Namespace_joined_by_setns_must_be_held_by_the_nsproxy_and_released_by_setns_back()
    {
        var a = Fork(Init);
        var n = Fork(a, Clone(CloneFlags.CLONE_NEWPID));
        var ns1 = n.Pid.Ns;
        AwaitAssert(() => Assert.Equal(2, ns1.Refs));

        Ok(Call(Init, new Calls.Setns(n, CloneFlags.CLONE_NEWPID)));
        Assert.Equal(3, ns1.Refs);
        Ok(Call(Init, new Calls.Setns(n, CloneFlags.CLONE_NEWPID)));    // again: the old proxy's reference goes
        Assert.Equal(3, ns1.Refs);
        Ok(Call(Init, new Calls.Setns(Init, CloneFlags.CLONE_NEWPID)));
        Assert.Equal(2, ns1.Refs);
        AssertHealthy();
    }

    private NsHandle AwaitNamespaceAt(int level)
    {
        NsHandle? found = null;
        AwaitAssert(() => found = Assert.Single(Ctx.View.Namespaces, x => x.Handle.Level == level).Handle);
        return found!;
    }
}
