using Actors.Kernel.Tasks;
using Xunit;
using Xunit.Abstractions;
using static Actors.Kernel.Specs.SyscallHelpers;

namespace Actors.Kernel.Specs;

/// <summary>The process tree end to end: fork/clone/exit/wait/kill/setns/unshare through the task actors, the task
/// list, the namespaces and their pid maps, with every invariant checked after each message and at quiescence.</summary>
public sealed class ProcessTreeSpec(ITestOutputHelper output) : ProcessSpec(output)
{
    [Fact]
    public void Fork_must_number_children_cyclically_and_link_them()
    {
        var a = Fork(Init);
        var b = Fork(Init);
        var c = Fork(a);

        Assert.Equal([2, 3, 4], new[] { a, b, c }.Select(RootNr));
        Assert.Equal(1, Ok(Call(Init, new Calls.GetPid())));
        Assert.Equal(0, Ok(Call(Init, new Calls.GetPpid())));
        Assert.Equal(2, Ok(Call(c, new Calls.GetPpid())));
        Assert.Equal(4, Ok(Call(c, new Calls.GetTid())));
        Assert.Equal("2", Field(Call(Init, new Calls.Read("/proc/4/status")), "PPid"));
        Assert.Equal("4\n", Call(Init, new Calls.Read("/proc/sys/kernel/ns_last_pid")).Text);
        AssertHealthy();
    }

    [Fact]
    public void Exit_and_wait_must_reap_the_zombie_and_free_its_number()
    {
        var a = Fork(Init);
        var b = Fork(Init);

        Assert.Equal(0, Ok(Call(a, Exit(5))));
        AwaitExitState(a, ExitState.Zombie);
        Assert.True(MapOf(Ctx.View.RootNs!).IsTaken(2));           // a zombie keeps its number
        Assert.True(Call(a, new Calls.GetPid()).Dead);              // and makes no more calls
        Assert.Equal("2", Field(Call(Init, new Calls.Read("/proc/2/status")), "Pid"));

        Assert.Equal(2, Ok(Call(Init, Wait())));
        AwaitReleased(a);
        Assert.Equal(Errno.ENOENT, Err(Call(Init, new Calls.Read("/proc/2/status"))));
        Assert.Equal(0, Ok(Call(Init, Wait(-1, noHang: true))));    // b still runs
        Assert.Equal(Errno.ECHILD, Err(Call(Init, Wait(2))));
        Assert.Equal(Errno.ECHILD, Err(Call(b, Wait())));
        AssertHealthy();
    }

    [Fact]
    public void Clone_NEWPID_must_start_a_namespace_whose_first_task_is_pid_1()
    {
        var a = Fork(Init);
        var n = Fork(a, Clone(CloneFlags.CLONE_NEWPID));
        var x = Fork(n);

        Assert.Equal(0, Ok(Call(a, Wait(3, noHang: true))));        // n runs
        Assert.Equal(1, Ok(Call(n, new Calls.GetPid())));
        Assert.Equal(0, Ok(Call(n, new Calls.GetPpid())));
        Assert.Equal(2, Ok(Call(x, new Calls.GetPid())));
        Assert.Equal(1, Ok(Call(x, new Calls.GetPpid())));
        Assert.Equal(1, n.Pid.Level);
        Assert.Same(n.Pid.Ns, x.Pid.Ns);
        Assert.Equal("4\t2", Field(Call(Init, new Calls.Read("/proc/4/status")), "NSpid"));
        Assert.Equal("4\t2", Field(Call(x, new Calls.Read("/proc/self/status")), "NSpid"));
        Assert.Equal(Errno.ESRCH, Err(Call(x, new Calls.Kill(3, 0))));   // nothing has 3 in x's namespace
        AssertHealthy();
    }

    [Fact]
    public void Wait_must_return_the_child_number_in_the_waiter_namespace()
    {
        var a = Fork(Init);
        var n = Fork(a, Clone(CloneFlags.CLONE_NEWPID));
        var x = Fork(n);
        Ok(Call(x, Exit()));
        AwaitExitState(x, ExitState.Zombie);

        Assert.Equal(2, Ok(Call(n, Wait())));
        Ok(Call(n, Exit()));
        AwaitExitState(n, ExitState.Zombie);
        Assert.Equal(3, Ok(Call(a, Wait())));
        AssertHealthy();
    }

    [Fact]
    public void Kill_must_end_the_target_and_let_its_parent_reap_it()
    {
        var a = Fork(Init);
        var b = Fork(a);

        Assert.Equal(0, Ok(Call(a, new Calls.Kill(3, Signals.SIGTERM))));
        AwaitExitState(b, ExitState.Zombie);
        Assert.True(Call(b, new Calls.GetPid()).Dead);
        Assert.Equal(3, Ok(Call(a, Wait())));
        Assert.Equal(Errno.ESRCH, Err(Call(a, new Calls.Kill(3, 0))));
        Assert.Equal(0, Ok(Call(Init, new Calls.Kill(2, Signals.SIGCHLD))));   // ignored
        Assert.Equal(2, Ok(Call(a, new Calls.GetPid())));
        AssertHealthy();
    }

    [Fact]
    public void Kill_must_spare_a_namespace_init_from_inside_but_not_SIGKILL_from_its_parent_namespace()
    {
        var a = Fork(Init);
        var n = Fork(a, Clone(CloneFlags.CLONE_NEWPID));
        var x = Fork(n);

        Assert.Equal(0, Ok(Call(x, new Calls.Kill(1, Signals.SIGKILL))));
        Assert.Equal(0, Ok(Call(a, new Calls.Kill(3, Signals.SIGTERM))));
        Assert.Equal(0, Ok(Call(Init, new Calls.Kill(1, Signals.SIGKILL))));
        Assert.Equal(1, Ok(Call(n, new Calls.GetPid())));
        Assert.Equal(1, Ok(Call(Init, new Calls.GetPid())));

        Assert.Equal(0, Ok(Call(a, new Calls.Kill(3, Signals.SIGKILL))));
        AwaitReleased(x);                                    // killed by the zap, reaped by n (SIGCHLD ignored)
        AwaitExitState(n, ExitState.Zombie);
        Assert.Equal(3, Ok(Call(a, Wait())));
        AwaitReleased(n);
        AssertHealthy();
    }

    [Fact]
    public void Exit_of_a_namespace_init_must_kill_its_namespace_and_forbid_new_pids()
    {
        var a = Fork(Init);
        var n = Fork(a, Clone(CloneFlags.CLONE_NEWPID));   // 3, ns1 1
        var x = Fork(n);                                     // 4, ns1 2
        var y = Fork(x);                                     // 5, ns1 3
        var m = Fork(n, Clone(CloneFlags.CLONE_NEWPID));   // 6, ns1 4, ns2 1
        var z = Fork(m);                                     // 7, ns1 5, ns2 2
        Ok(Call(Init, new Calls.Setns(n, CloneFlags.CLONE_NEWPID)));
        var j = Fork(Init);                                  // 8, ns1 6
        Ok(Call(Init, new Calls.Setns(Init, CloneFlags.CLONE_NEWPID)));
        Assert.Equal(6, Ok(Call(j, new Calls.GetPid())));

        Ok(Call(n, Exit()));

        AwaitReleased(x);
        AwaitReleased(y);
        AwaitReleased(z);
        AwaitReleased(m);
        AwaitExitState(j, ExitState.Zombie);                 // its parent, init, is outside and reaps it itself
        Assert.Equal(ExitState.Running, n.ExitState);        // n waits for j's number
        Assert.True(Ctx.View.Tasks!.IsDying(n.Pid.Ns));
        Ok(Call(Init, new Calls.Setns(n, CloneFlags.CLONE_NEWPID)));
        Assert.Equal(Errno.ENOMEM, Err(Call(Init, new Calls.Fork())));
        Ok(Call(Init, new Calls.Setns(Init, CloneFlags.CLONE_NEWPID)));
        Assert.Equal(0, Ok(Call(a, Wait(3, noHang: true))));

        Assert.Equal(8, Ok(Call(Init, Wait(8))));
        AwaitExitState(n, ExitState.Zombie);
        Assert.Equal(3, Ok(Call(a, Wait(3))));
        AssertHealthy();
    }

    [Fact]
    public void Setns_must_change_only_where_children_go()
    {
        var a = Fork(Init);
        var b = Fork(a, Clone(CloneFlags.CLONE_NEWPID));
        var c = Fork(b);

        Assert.Equal(0, Ok(Call(Init, new Calls.Setns(b, CloneFlags.CLONE_NEWPID))));
        Assert.Equal(1, Ok(Call(Init, new Calls.GetPid())));
        var d = Fork(Init);
        Assert.Equal(5, RootNr(d));
        Assert.Equal(3, Ok(Call(d, new Calls.GetPid())));
        Assert.Equal(0, Ok(Call(d, new Calls.GetPpid())));
        Assert.Equal(Errno.EINVAL, Err(Call(Init, new Calls.Clone(CloneFlags.CLONE_VM | CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_THREAD, []))));
        Assert.Equal(Errno.EINVAL, Err(Call(b, new Calls.Setns(Init, CloneFlags.CLONE_NEWPID))));   // an ancestor
        Assert.Equal(Errno.EINVAL, Err(Call(c, new Calls.Setns(b, CloneFlags.CLONE_NEWUTS))));   // ns/pid opened, type differs
        Assert.Equal(Errno.ENOENT, Err(Call(c, new Calls.Setns(null, CloneFlags.CLONE_NEWPID))));
        Assert.Equal(0, Ok(Call(c, new Calls.Setns(b, CloneFlags.None))));
        Assert.Equal(0, Ok(Call(Init, new Calls.Setns(Init, CloneFlags.CLONE_NEWPID))));
        var e = Fork(Init);
        Assert.Equal(6, Ok(Call(e, new Calls.GetPid())));
        AssertHealthy();
    }

    [Fact]
    public void Setns_must_refuse_a_sibling_namespace()
    {
        var a = Fork(Init);
        var n1 = Fork(a, Clone(CloneFlags.CLONE_NEWPID));
        var n2 = Fork(a, Clone(CloneFlags.CLONE_NEWPID));

        Assert.Equal(Errno.EINVAL, Err(Call(n1, new Calls.Setns(n2, CloneFlags.CLONE_NEWPID))));
        Assert.Equal(0, Ok(Call(a, new Calls.Setns(n2, CloneFlags.CLONE_NEWPID))));
        AssertHealthy();
    }

    [Fact]
    public void Unshare_must_put_only_the_next_children_in_a_new_namespace()
    {
        var a = Fork(Init);

        Assert.Equal(0, Ok(Call(a, new Calls.Unshare(CloneFlags.CLONE_NEWPID))));
        Assert.Equal(2, Ok(Call(a, new Calls.GetPid())));
        Assert.Equal(Errno.EINVAL, Err(Call(a, new Calls.Unshare(CloneFlags.CLONE_NEWPID))));
        Assert.Equal(Errno.EINVAL, Err(Call(a, Clone(CloneFlags.CLONE_NEWPID))));
        Assert.Equal(Errno.EINVAL, Err(Call(a, Clone(CloneFlags.CLONE_VM | CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_THREAD))));
        var b = Fork(a);
        var c = Fork(a);
        Assert.Equal(1, Ok(Call(b, new Calls.GetPid())));
        Assert.Equal(0, Ok(Call(b, new Calls.GetPpid())));
        Assert.Equal(2, Ok(Call(c, new Calls.GetPid())));
        Assert.Same(b, Ctx.View.Tasks!.ChildReaperOf(b.Pid.Ns));
        Assert.Equal(Errno.EINVAL, Err(Call(a, new Calls.Unshare(CloneFlags.CLONE_NEWPID))));
        Assert.Equal("4\t2", Field(Call(Init, new Calls.Read("/proc/4/status")), "NSpid"));
        AssertHealthy();
    }

    // set_tid at level 0 is covered by BootSpec (the root pid map misses its child reaper on the thread pool).
    [Fact]
    public void Clone_set_tid_must_take_exactly_the_requested_numbers_or_fail_without_leaks()
    {
        var a = Fork(Init);
        var n = Fork(a, Clone(CloneFlags.CLONE_NEWPID));      // ns1 1
        var x = Fork(n);                                        // ns1 2
        var ns1 = n.Pid.Ns;

        Assert.Equal(Errno.EEXIST, Err(Call(n, Clone(CloneFlags.None, 2))));
        Assert.Equal(Errno.EINVAL, Err(Call(n, Clone(CloneFlags.None, 0))));
        Assert.Equal(Errno.EINVAL, Err(Call(n, Clone(CloneFlags.None, 4194304))));   // ns1's pid_max
        Assert.Equal(Errno.EINVAL, Err(Call(n, Clone(CloneFlags.None, 5, 5, 5))));   // more entries than levels
        var p = Fork(n, Clone(CloneFlags.None, 500));
        Assert.Equal(500, p.Pid.NrIn(ns1));
        Assert.Equal("2\n", Call(n, new Calls.Read("/proc/sys/kernel/ns_last_pid")).Text);   // not moved by set_tid
        Assert.Equal(3, Ok(Call(x, new Calls.Fork())));

        Assert.Equal(Errno.EINVAL, Err(Call(n, Clone(CloneFlags.CLONE_NEWPID, 5))));   // no init yet: only 1
        Assert.Equal(Errno.EEXIST, Err(Call(n, Clone(CloneFlags.CLONE_NEWPID, 1, 2)))); // ns1's 2 is taken
        AssertHealthy();                                         // the new namespaces and their numbers are gone
        AwaitAssert(() => Assert.Equal(2, Ctx.View.Namespaces.Count));

        var m = Fork(n, Clone(CloneFlags.CLONE_NEWPID, 1, 42));
        Assert.Equal(42, m.Pid.NrIn(ns1));
        Assert.Equal(1, Ok(Call(m, new Calls.GetPid())));
        Assert.Equal(7, Ok(Call(m, Clone(CloneFlags.None, 7))));
        Assert.Equal(Errno.EEXIST, Err(Call(m, Clone(CloneFlags.None, 8, 42))));      // outer 42 taken, inner 8 given back
        Assert.Equal(8, Ok(Call(m, Clone(CloneFlags.None, 8))));
        Assert.Equal($"{RootNr(m)}\t42\t1", Field(Call(Init, new Calls.Read($"/proc/{RootNr(m)}/status")), "NSpid"));
        AssertHealthy();
    }

    [Fact]
    public void Clone_whose_first_pid_fails_in_alloc_pid_must_leave_the_namespace_at_pid_1()
    {
        var a = Fork(Init);
        var n = Fork(a, Clone(CloneFlags.CLONE_NEWPID));
        Fork(n);                                                // ns1 2
        Ok(Call(n, new Calls.Unshare(CloneFlags.CLONE_NEWPID)));

        Assert.Equal(Errno.EINVAL, Err(Call(n, Clone(CloneFlags.None, 3))));
        Assert.Equal(Errno.EEXIST, Err(Call(n, Clone(CloneFlags.None, 1, 2)))); // 1 reserved in ns2, then ns1's 2 taken
        var b = Fork(n);

        Assert.Equal(1, Ok(Call(b, new Calls.GetPid())));
        Assert.Equal(3, b.Pid.NrIn(n.Pid.Ns));
        Assert.Same(b, Ctx.View.Tasks!.ChildReaperOf(b.Pid.Ns));
        AssertHealthy();
    }

    [Fact]
    public void Sysctls_must_act_on_the_caller_active_namespace()
    {
        var a = Fork(Init);
        Assert.Equal(0, Ok(Call(Init, new Calls.Write("/proc/sys/kernel/ns_last_pid", "99"))));
        Assert.Equal(100, RootNr(Fork(Init)));
        Assert.Equal(Errno.EINVAL, Err(Call(Init, new Calls.Write("/proc/sys/kernel/ns_last_pid", "-1"))));
        Assert.Equal(Errno.EINVAL, Err(Call(Init, new Calls.Write("/proc/sys/kernel/ns_last_pid", "32769"))));
        var n = Fork(a, Clone(CloneFlags.CLONE_NEWPID));
        Assert.Equal("1", Call(n, new Calls.Read("/proc/sys/kernel/ns_last_pid")).Text!.Trim());
        Assert.Equal("4194304", Call(n, new Calls.Read("/proc/sys/kernel/pid_max")).Text!.Trim());
        Assert.Equal(0, Ok(Call(n, new Calls.Write("/proc/sys/kernel/ns_last_pid", "9"))));
        Assert.Equal(10, Ok(Call(n, new Calls.Fork())));
        Assert.Equal("102", Call(a, new Calls.Read("/proc/sys/kernel/ns_last_pid")).Text!.Trim());
        Assert.Equal(Errno.EINVAL, Err(Call(Init, new Calls.Write("/proc/sys/kernel/pid_max", "300"))));
        Assert.Equal(0, Ok(Call(Init, new Calls.Write("/proc/sys/kernel/pid_max", "400"))));
        Assert.Equal(0, Ok(Call(Init, new Calls.Write("/proc/sys/kernel/ns_last_pid", "399"))));
        Assert.Equal(300, RootNr(Fork(Init)));                  // wraps below the new pid_max
        Assert.Equal(Errno.EINVAL, Err(Call(n, new Calls.Write("/proc/sys/kernel/pid_max", "31"))));
        AssertHealthy();
    }

    [Fact]
    public void Threads_must_share_the_group_and_exit_group_must_end_them_all()
    {
        var a = Fork(Init);
        var t1 = Fork(a, Clone(CloneFlags.CLONE_VM | CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_THREAD));
        var t2 = Fork(a, Clone(CloneFlags.CLONE_VM | CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_THREAD));
        Assert.Equal(2, Ok(Call(t1, new Calls.GetPid())));
        Assert.Equal(3, Ok(Call(t1, new Calls.GetTid())));
        Assert.Equal(1, Ok(Call(t2, new Calls.GetPpid())));

        Ok(Call(a, Exit()));                                   // the leader first: a zombie while its threads live
        AwaitExitState(a, ExitState.Zombie);
        Assert.Equal(0, Ok(Call(Init, Wait(2, noHang: true))));
        Ok(Call(t1, new Calls.Exit(3, true)));                 // exit_group ends t2 too
        AwaitReleased(t2);
        Assert.Equal(2, Ok(Call(Init, Wait(2))));
        AssertHealthy();
    }

    [Fact]
    public void Reparenting_must_prefer_thread_then_subreaper_then_namespace_reaper()
    {
        var a = Fork(Init);
        var b = Fork(a);
        var c = Fork(b);
        Ok(Call(b, Exit()));
        AwaitExitState(b, ExitState.Zombie);
        Assert.Equal(1, Ok(Call(c, new Calls.GetPpid())));
        Assert.Equal(3, Ok(Call(a, Wait())));

        Ok(Call(a, new Calls.SetChildSubreaper(1)));
        var d = Fork(a);
        var e = Fork(d);
        Ok(Call(d, Exit()));
        AwaitExitState(d, ExitState.Zombie);
        Assert.Equal(2, Ok(Call(e, new Calls.GetPpid())));

        var at = Fork(a, Clone(CloneFlags.CLONE_VM | CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_THREAD));
        var f = Fork(at);
        Ok(Call(at, Exit()));
        AwaitReleased(at);
        Assert.Equal(2, Ok(Call(f, new Calls.GetPpid())));
        Assert.Same(a, f.Group.RealParent);
        AssertHealthy();
    }

    [Fact]
    public void Wait_must_return_when_the_child_exits_after_the_call()
    {
        var a = Fork(Init);
        var waiting = Start(Init, Wait(), out var corr);
        waiting.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Ok(Call(a, Exit()));

        var r = waiting.ExpectMsg<SyscallResult>(TimeSpan.FromSeconds(3));
        Assert.Equal(corr, r.Corr);
        Assert.Equal(2, Ok(r));
        AssertHealthy();
    }
}
