using Actors.Kernel.Tasks;
using Xunit;

namespace Actors.Kernel.Tests.Tasks;

/// <summary>Spec 1.3, 2.1 step 6, 3.2-3.6: the process tree under tasklist_lock (<see cref="TaskList"/>), driven
/// directly with hand-made pids; every effect on other actors is recorded in order by the outbox double, and the task
/// list's invariants are checked after every operation.</summary>
public class TaskListTests
{
    private const CloneFlags Thread = CloneFlags.CLONE_VM | CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_THREAD;

    // ---- boot -----------------------------------------------------------------------------------------------------

    [Fact]
    public void Boot_makes_init_the_unkillable_child_reaper_of_root()
    {
        var w = new TaskListWorld();

        Assert.Equal(["reaper ns0"], w.Out.Take());
        Assert.Same(w.Init, w.List.ChildReaperOf(w.Root));
        Assert.True(w.Init.Group.Unkillable);
        Assert.True(w.Init.IsLeader);
        Assert.Null(w.Init.Group.RealParent);
        Assert.Same(w.Init, w.List.Find(w.Root, 1));
        Assert.Equal(1, w.List.Count);
        Assert.Equal(0, w.List.GetPpid(w.Init));
        Assert.Equal("Tgid:\t1\nPid:\t1\nPPid:\t0\nNStgid:\t1\nNSpid:\t1\n", w.List.Status(w.Init, w.Root));
    }

    // ---- attach (copy_process under tasklist_lock) ---------------------------------------------------------------

    [Fact]
    public void Attach_fork_links_child_to_forker()
    {
        var w = new TaskListWorld();
        w.Out.Take();

        var a = w.Fork(w.Init, "a");

        Assert.Empty(w.Out.Take());
        Assert.Same(w.Init, a.Group.RealParent);
        Assert.Equal([a], w.Init.Children);
        Assert.True(a.IsLeader);
        Assert.Equal(ExitState.Running, a.ExitState);
        Assert.False(a.Group.Unkillable);
        Assert.Same(a, w.List.Find(w.Root, 2));
        Assert.Equal(1, w.List.GetPpid(a));
        Assert.Equal(2, w.List.Count);
    }

    [Fact]
    public void Attach_with_fatal_signal_pending_fails_EINTR_and_links_nothing()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        Assert.Equal(Errno.None, w.Kill(w.Init, 2, Signals.SIGKILL));
        w.Out.Take();

        var errno = w.TryFork(a, "b", out var b);

        Assert.Equal(Errno.EINTR, errno);
        Assert.Null(b);
        Assert.Empty(a.Children);
        Assert.Null(w.List.Find(w.Root, 3));
        Assert.Equal(2, w.List.Count);
        Assert.Empty(w.Out.Take());
    }

    [Fact]
    public void Attach_into_dying_namespace_fails_ENOMEM_before_EINTR()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var ns1 = w.NewNs(w.Root);
        var n = w.Fork(a, "n", ns: ns1);
        var x = w.Fork(n, "x");
        w.Exit(n); // zap: ns1 is dying, x has SIGKILL pending
        Assert.True(w.List.IsDying(ns1));
        Assert.True(x.Group.FatalPending);
        var count = w.List.Count;
        w.Out.Take();

        // init after setns into ns1: no fatal signal, dying namespace.
        Assert.Equal(Errno.ENOMEM, w.TryFork(w.Init, "j", out var j, ns: ns1));
        // x: dying namespace and a fatal signal: the namespace check comes first.
        Assert.Equal(Errno.ENOMEM, w.TryFork(x, "y", out var y));

        Assert.Null(j);
        Assert.Null(y);
        Assert.Equal(count, w.List.Count);
        Assert.Empty(w.Out.Take());
        // A namespace that is not dying (the root) still accepts children of init.
        Assert.Equal(Errno.None, w.TryFork(w.Init, "b", out _));
    }

    [Fact]
    public void Attach_CLONE_PARENT_makes_child_a_sibling_of_forker()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");

        var b = w.Fork(a, "b", CloneFlags.CLONE_PARENT);

        Assert.Same(w.Init, b.Group.RealParent);
        Assert.Equal([a, b], w.Init.Children);
        Assert.Empty(a.Children);
        Assert.Equal(1, w.List.GetPpid(b));
    }

    [Fact]
    public void Attach_inherits_has_child_subreaper_from_real_parent()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        w.List.SetChildSubreaper(a, on: true);

        var c = w.Fork(a, "c");
        var d = w.Fork(a, "d", CloneFlags.CLONE_PARENT); // real parent init: no subreaper above
        var e = w.Fork(c, "e");

        Assert.True(c.Group.HasChildSubreaper);
        Assert.False(d.Group.HasChildSubreaper);
        Assert.True(e.Group.HasChildSubreaper);
        Assert.False(a.Group.HasChildSubreaper);
        Assert.True(a.Group.IsChildSubreaper);
    }

    [Fact]
    public void Attach_CLONE_THREAD_joins_forker_thread_group()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");

        var t = w.Fork(a, "t", Thread);
        var t2 = w.Fork(t, "t2", Thread);

        Assert.Same(a.Group, t.Group);
        Assert.Same(a.Group, t2.Group);
        Assert.False(t.IsLeader);
        Assert.Equal([a, t, t2], a.Group.Members);
        Assert.Equal([a], w.Init.Children);
        Assert.Empty(a.Children);
        Assert.Equal(1, w.List.GetPpid(t2));
        Assert.Equal("Tgid:\t2\nPid:\t4\nPPid:\t1\nNStgid:\t2\nNSpid:\t4\n", w.List.Status(t2, w.Root));
    }

    [Fact]
    public void Attach_thread_of_init_does_not_become_child_reaper()
    {
        var w = new TaskListWorld();
        w.Out.Take();

        var it = w.Fork(w.Init, "it", Thread);

        Assert.Empty(w.Out.Take());
        Assert.Same(w.Init, w.List.ChildReaperOf(w.Root));
        Assert.True(it.Group.Unkillable);
    }

    [Fact]
    public void Attach_leader_with_innermost_number_1_becomes_child_reaper_of_its_namespace()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var ns1 = w.NewNs(w.Root);
        w.Out.Take();

        var n = w.Fork(a, "n", ns: ns1);
        Assert.Equal(["reaper ns1"], w.Out.Take());
        var x = w.Fork(n, "x");
        Assert.Empty(w.Out.Take());

        Assert.Same(n, w.List.ChildReaperOf(ns1));
        Assert.True(n.Group.Unkillable);
        Assert.False(x.Group.Unkillable);
        Assert.Same(w.Init, w.List.ChildReaperOf(w.Root));
        Assert.Equal(0, w.List.GetPpid(n)); // a is not visible in ns1
        Assert.Equal(1, w.List.GetPpid(x));
        Assert.Equal("Tgid:\t3\nPid:\t3\nPPid:\t2\nNStgid:\t3\t1\nNSpid:\t3\t1\n", w.List.Status(n, w.Root));
        Assert.Equal("Tgid:\t2\nPid:\t2\nPPid:\t1\nNStgid:\t2\nNSpid:\t2\n", w.List.Status(x, ns1));
        Assert.Null(w.List.Status(a, ns1));
        Assert.Same(x, w.List.Find(ns1, 2));
        Assert.Same(x, w.List.Find(w.Root, 4));
    }

    [Fact]
    public void Attach_of_number_already_held_throws()
    {
        var w = new TaskListWorld();
        w.Fork(w.Init, "a");

        Assert.Throws<InvariantViolationException>(() => w.List.Attach(w.Init, 99, w.PidIn(w.Root, 2), CloneFlags.None, out _));
    }

    // ---- exit ---------------------------------------------------------------------------------------------------

    [Fact]
    public void Exit_of_leader_without_threads_leaves_zombie_holding_its_numbers()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");

        Assert.Empty(w.Effects(() => w.List.Exit(a, group: false)));

        Assert.Equal(ExitState.Zombie, a.ExitState);
        Assert.True(a.Exiting);
        Assert.Same(a, w.List.Find(w.Root, 2));
        Assert.Equal([a], w.Init.Children);
        Assert.Matches(@"^release a -> wait init#\d+=2$", w.Reap(w.Init));
        Assert.Null(w.List.Find(w.Root, 2));
        Assert.Empty(w.Init.Children);
        Assert.Equal(1, w.List.Count);
    }

    [Fact]
    public void Exit_of_thread_releases_it_at_once()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var t = w.Fork(a, "t", Thread);

        Assert.Equal(["release t"], w.Effects(() => w.List.Exit(t, group: false)));

        Assert.Null(w.List.Find(w.Root, 3));
        Assert.Equal([a], a.Group.Members);
        Assert.True(a.Group.Empty);
    }

    [Fact]
    public void Exit_of_leader_with_live_threads_delays_its_notification_until_last_thread()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var t1 = w.Fork(a, "t1", Thread);
        var t2 = w.Fork(a, "t2", Thread);

        Assert.Empty(w.Effects(() => w.List.Exit(a, group: false)));
        Assert.Equal(ExitState.Zombie, a.ExitState);
        Assert.Equal("0", w.WaitNow(w.Init, noHang: true)); // a zombie leader with live threads is not reapable
        Assert.Null(w.Wait(w.Init, out var corr));
        Assert.True(w.List.IsWaiting(w.Init));

        Assert.Equal(["release t1"], w.Effects(() => w.List.Exit(t1, group: false)));
        Assert.True(w.List.IsWaiting(w.Init));

        Assert.Equal(["release t2", $"release a -> wait init#{corr}=2"], w.Effects(() => w.List.Exit(t2, group: false)));
        Assert.False(w.List.IsWaiting(w.Init));
        Assert.Equal(1, w.List.Count);
    }

    [Fact]
    public void Exit_group_kills_every_other_live_thread_first()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var t1 = w.Fork(a, "t1", Thread);
        var t2 = w.Fork(a, "t2", Thread);

        Assert.Equal(["kill a", "kill t2", "release t1"], w.Effects(() => w.List.Exit(t1, group: true)));
        Assert.True(a.Group.FatalPending);

        Assert.Empty(w.Effects(() => w.List.Exit(a, group: false)));
        Assert.Equal(["release t2"], w.Effects(() => w.List.Exit(t2, group: false)));
        Assert.Equal(ExitState.Zombie, a.ExitState);
        Assert.Matches(@"^release a -> wait init#\d+=2$", w.Reap(w.Init));
    }

    [Fact]
    public void Exit_twice_throws()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        w.Exit(a);

        Assert.Throws<InvariantViolationException>(() => w.List.Exit(a, group: false));
    }

    // ---- reparenting (forget_original_parent / find_new_reaper) -------------------------------------------------

    [Fact]
    public void Exit_reparents_children_to_a_live_thread_of_the_group_without_notification()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var at = w.Fork(a, "at", Thread);
        var f = w.Fork(at, "f");
        var g = w.Fork(at, "g");
        w.Exit(g); // a zombie child of at

        Assert.Equal(["release at"], w.Effects(() => w.List.Exit(at, group: false)));

        Assert.Same(a, f.Group.RealParent);
        Assert.Same(a, g.Group.RealParent);
        Assert.Equal([f, g], a.Children);
        Assert.Equal(ExitState.Zombie, g.ExitState);
        Assert.Equal(2, w.List.GetPpid(f));
        Assert.Matches(@"^release g -> wait a#\d+=5$", w.Reap(a));
    }

    [Fact]
    public void Exit_reparents_to_nearest_live_subreaper_in_the_same_namespace()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var b = w.Fork(a, "b");
        var c = w.Fork(b, "c");
        var d = w.Fork(c, "d");
        w.List.SetChildSubreaper(a, on: true);
        w.List.SetChildSubreaper(b, on: true);
        w.Check();

        w.Exit(c);
        Assert.Same(b, d.Group.RealParent);   // the nearest subreaper
        Assert.Equal(3, w.List.GetPpid(d));

        w.Exit(b);
        Assert.Same(a, d.Group.RealParent);   // b is gone: the next one up
        Assert.Same(a, c.Group.RealParent);   // c's zombie too
        Assert.Equal([b, c, d], a.Children);
    }

    [Fact]
    public void Exit_without_subreaper_ancestor_reparents_to_namespace_reaper()
    {
        var w = new TaskListWorld();
        var s = w.Fork(w.Init, "s");
        w.List.SetChildSubreaper(s, on: true); // not an ancestor of c
        var a = w.Fork(w.Init, "a");
        var b = w.Fork(a, "b");
        var c = w.Fork(b, "c");

        w.Exit(b);

        Assert.Same(w.Init, c.Group.RealParent);
        Assert.Equal(1, w.List.GetPpid(c));
        Assert.Equal([s, a, c], w.Init.Children);
    }

    [Fact]
    public void Exit_subreaper_walk_stops_at_the_namespace_boundary()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        w.List.SetChildSubreaper(a, on: true);
        var ns1 = w.NewNs(w.Root);
        var n = w.Fork(a, "n", ns: ns1);
        var x = w.Fork(n, "x");
        var y = w.Fork(x, "y");
        var j = w.Fork(a, "j", ns: ns1);       // a after setns into ns1: its child is in ns1
        var k = w.Fork(j, "k");
        Assert.True(x.Group.HasChildSubreaper);
        Assert.True(j.Group.HasChildSubreaper);

        w.Exit(x);
        w.Exit(j);

        Assert.Same(n, y.Group.RealParent);    // not the level-0 subreaper a
        Assert.Same(n, k.Group.RealParent);    // even when a is j's own parent
        Assert.Equal(1, w.List.GetPpid(y));
        Assert.Same(a, j.Group.RealParent);    // j's zombie stays with its parent
    }

    [Fact]
    public void Exit_reparents_by_the_namespace_of_the_exiting_task_pid_not_of_its_children()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var ns1 = w.NewNs(w.Root);
        var n = w.Fork(a, "n", ns: ns1);
        var p = w.Fork(w.Init, "p");
        var c = w.Fork(p, "c", ns: ns1);       // p after setns into ns1
        var d = w.Fork(c, "d");
        var y = w.Fork(n, "y");
        var ns2 = w.NewNs(ns1);
        var x = w.Fork(y, "x", ns: ns2);       // y after unshare(CLONE_NEWPID): x is pid 1 of ns2
        Assert.Same(x, w.List.ChildReaperOf(ns2));

        w.Exit(c);   // c lives in ns1: d goes to ns1's reaper
        w.Exit(p);   // p lives in ns0: its zombie child c goes to ns0's reaper, not ns1's
        w.Exit(y);   // y lives in ns1: x goes to n, not to ns2's reaper (x itself)

        Assert.Same(n, d.Group.RealParent);
        Assert.Same(w.Init, c.Group.RealParent);
        Assert.Same(n, x.Group.RealParent);
        Assert.Equal(0, w.List.GetPpid(x));
        Assert.Equal(0, w.List.GetPpid(c));
        Assert.Contains("PPid:\t3\n", w.List.Status(x, w.Root));
    }

    [Fact]
    public void Exit_reparenting_a_zombie_notifies_its_new_parent()
    {
        var w = new TaskListWorld();
        var p = w.Fork(w.Init, "p");
        var a = w.Fork(p, "a");
        var b = w.Fork(a, "b");
        w.Exit(b);
        Assert.Equal("ECHILD", w.WaitNow(w.Init, 4)); // b is not init's child yet
        Assert.Null(w.Wait(w.Init, out var corr));    // parked: p is running

        // a exits: b's zombie goes to init and is announced to it; init's wait reaps it.
        Assert.Equal([$"release b -> wait init#{corr}=4"], w.Effects(() => w.List.Exit(a, group: false)));

        Assert.False(w.List.IsWaiting(w.Init));
        Assert.Equal(ExitState.Zombie, a.ExitState);
        Assert.Same(p, a.Group.RealParent);
    }

    [Fact]
    public void Exit_reparenting_a_zombie_to_parent_ignoring_SIGCHLD_reaps_it()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var ns1 = w.NewNs(w.Root);
        var n = w.Fork(a, "n", ns: ns1);
        var x = w.Fork(n, "x");
        var y = w.Fork(x, "y");
        w.Exit(y);
        w.Exit(n); // zap: n ignores SIGCHLD from now on
        w.Out.Take();

        Assert.Equal(["release y", "release x"], w.Effects(() => w.List.Exit(x, group: false)));
        Assert.Null(w.List.Find(ns1, 3));
        Assert.Null(w.List.Find(ns1, 2));
    }

    // ---- wait -----------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Wait_without_children_fails_ECHILD(bool noHang)
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");

        Assert.Equal("ECHILD", w.WaitNow(a, noHang: noHang));
        Assert.False(w.List.IsWaiting(a));
    }

    [Theory]
    [InlineData(3)]     // b: a's child, not init's
    [InlineData(99)]    // nobody
    [InlineData(4)]     // at: a thread, not a process
    [InlineData(1)]     // itself
    public void Wait_for_number_that_is_not_a_child_fails_ECHILD(int selector)
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        w.Fork(a, "b");
        w.Fork(a, "at", Thread);

        Assert.Equal("ECHILD", w.WaitNow(w.Init, selector));
        Assert.Equal("ECHILD", w.WaitNow(w.Init, selector, noHang: true));
    }

    [Fact]
    public void Wait_WNOHANG_with_running_child_returns_0()
    {
        var w = new TaskListWorld();
        w.Fork(w.Init, "a");

        Assert.Equal("0", w.WaitNow(w.Init, noHang: true));
        Assert.Equal("0", w.WaitNow(w.Init, 2, noHang: true));
        Assert.False(w.List.IsWaiting(w.Init));
    }

    [Fact]
    public void Wait_blocks_until_a_child_exits_then_reaps_it()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        Assert.Null(w.Wait(w.Init, out var corr));
        Assert.True(w.List.IsWaiting(w.Init));

        Assert.Equal([$"release a -> wait init#{corr}=2"], w.Effects(() => w.List.Exit(a, group: false)));

        Assert.False(w.List.IsWaiting(w.Init));
        Assert.Null(w.List.Find(w.Root, 2));
        Assert.Equal("ECHILD", w.WaitNow(w.Init));
    }

    [Fact]
    public void Wait_parked_is_woken_when_a_zombie_leader_last_thread_goes()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var t = w.Fork(a, "t", Thread);
        w.Exit(a);
        Assert.Null(w.Wait(w.Init, out var corr));

        Assert.Equal(["release t", $"release a -> wait init#{corr}=2"], w.Effects(() => w.List.Exit(t, group: false)));
        Assert.False(w.List.IsWaiting(w.Init));
    }

    [Fact]
    public void Wait_by_number_is_not_woken_by_another_child()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var b = w.Fork(w.Init, "b");
        var bt = w.Fork(b, "bt", Thread);
        w.Exit(b);
        Assert.Null(w.Wait(w.Init, out var corr, selector: 3));

        Assert.Empty(w.Effects(() => w.List.Exit(a, group: false)));
        Assert.True(w.List.IsWaiting(w.Init));
        Assert.Equal(ExitState.Zombie, a.ExitState);

        // b's group empties: the wait for 3 reaps b, not the older zombie a.
        Assert.Equal(["release bt", $"release b -> wait init#{corr}=3"], w.Effects(() => w.List.Exit(bt, group: false)));
        Assert.Matches(@"^release a -> wait init#\d+=2$", w.Reap(w.Init));
    }

    [Fact]
    public void Wait_reaps_zombies_in_the_order_they_became_children()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var b = w.Fork(w.Init, "b");
        var c = w.Fork(w.Init, "c");
        w.Exit(c);
        w.Exit(a);
        w.Exit(b);

        Assert.Matches("^release a .*=2$", w.Reap(w.Init));
        Assert.Matches("^release b .*=3$", w.Reap(w.Init));
        Assert.Matches("^release c .*=4$", w.Reap(w.Init));
        Assert.Equal("ECHILD", w.WaitNow(w.Init));
    }

    [Fact]
    public void Wait_returns_the_child_number_in_the_waiter_namespace()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var ns1 = w.NewNs(w.Root);
        var n = w.Fork(a, "n", ns: ns1);
        var x = w.Fork(n, "x");
        w.Exit(x);

        Assert.Matches("^release x -> wait n#.*=2$", w.Reap(n));     // x is 4 in ns0, 2 in ns1
        w.Exit(n);
        w.NamespaceEmptied(n);
        Assert.Matches("^release n -> wait a#.*=3$", w.Reap(a));     // n is 3 in ns0, 1 in ns1
    }

    [Fact]
    public void Wait_considers_children_of_every_thread_starting_with_the_waiter_own()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var at = w.Fork(a, "at", Thread);
        var g = w.Fork(a, "g");
        var f = w.Fork(at, "f");
        w.Exit(g);
        w.Exit(f);

        Assert.Matches("^release f -> wait at#.*=5$", w.Reap(at));
        Assert.Equal("ECHILD", w.WaitNow(at, 5));
        Assert.Matches("^release g -> wait at#.*=4$", w.Reap(at));
    }

    [Fact]
    public void CancelWait_completes_a_parked_wait_with_EINTR()
    {
        var w = new TaskListWorld();
        w.Fork(w.Init, "a");
        Assert.Null(w.Wait(w.Init, out var corr));
        w.Out.Take();

        Assert.True(w.List.CancelWait(w.Init));

        Assert.Equal([$"complete init#{corr} EINTR"], w.Out.Take());
        Assert.False(w.List.IsWaiting(w.Init));
        Assert.False(w.List.CancelWait(w.Init));
        Assert.Empty(w.Out.Take());
    }

    [Fact]
    public void Wait_two_threads_waiting_for_the_same_child_both_return()
    {
        // Linux: __wake_up_parent() wakes every waiter on signal->wait_chldexit; one reaps the child in
        // wait_task_zombie(), the other re-scans, finds no eligible child and returns ECHILD. (The child here is a
        // zombie leader whose last thread exits, the wake-up path that works for a single waiter.)
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var at = w.Fork(a, "at", Thread);
        var c = w.Fork(a, "c");
        var ct = w.Fork(c, "ct", Thread);
        w.Exit(c);
        Assert.Null(w.Wait(a, out var corrA, selector: 4));
        Assert.Null(w.Wait(at, out var corrT, selector: 4));

        var effects = w.Effects(() => w.List.Exit(ct, group: false));

        Assert.False(w.List.IsWaiting(a));
        Assert.False(w.List.IsWaiting(at));
        Assert.Equal(3, effects.Length);
        Assert.Equal("release ct", effects[0]);
        Assert.Contains(effects, e => e == $"release c -> wait a#{corrA}=4" || e == $"release c -> wait at#{corrT}=4");
        Assert.Contains(effects, e => e == $"complete at#{corrT} ECHILD" || e == $"complete a#{corrA} ECHILD");
    }

    [Fact]
    public void Exit_reparenting_a_zombie_to_a_waiting_reaper_lets_it_reap_in_children_order()
    {
        // Linux: exit_notify() holds tasklist_lock (write) from forget_original_parent() until a is EXIT_ZOMBIE and
        // announced; init's do_wait() runs only afterwards (read_lock) and scans init's children in order: a, then b.
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var b = w.Fork(a, "b");
        w.Exit(b);
        Assert.Null(w.Wait(w.Init, out var corr));

        var effects = w.Effects(() => w.List.Exit(a, group: false));

        Assert.Equal([$"release a -> wait init#{corr}=2"], effects);
        Assert.Equal(ExitState.Zombie, b.ExitState);
        Assert.Same(w.Init, b.Group.RealParent);
    }

    // ---- kill -----------------------------------------------------------------------------------------------------

    // World: init(1) -> a(2) -> n(3; 1 in ns1, its init) -> x(4; 2 in ns1).
    [Theory]
    [InlineData("a", 99, Signals.SIGKILL, Errno.ESRCH, null)]
    [InlineData("x", 3, Signals.SIGKILL, Errno.ESRCH, null)]      // ns1 has no 3
    [InlineData("x", 4, 0, Errno.ESRCH, null)]
    [InlineData("a", 4, 0, Errno.None, null)]                     // signal 0: existence only
    [InlineData("x", 1, Signals.SIGKILL, Errno.None, null)]       // ns init from inside: dropped
    [InlineData("x", 1, Signals.SIGTERM, Errno.None, null)]
    [InlineData("n", 1, Signals.SIGKILL, Errno.None, null)]       // from itself
    [InlineData("a", 3, Signals.SIGTERM, Errno.None, null)]       // from outside, only SIGKILL is forced
    [InlineData("a", 3, Signals.SIGHUP, Errno.None, null)]
    [InlineData("a", 3, Signals.SIGKILL, Errno.None, "n")]        // forced from the ancestor namespace
    [InlineData("init", 3, Signals.SIGKILL, Errno.None, "n")]
    [InlineData("a", 1, Signals.SIGKILL, Errno.None, null)]       // the global init ignores everything
    [InlineData("init", 1, Signals.SIGKILL, Errno.None, null)]
    [InlineData("x", 2, Signals.SIGTERM, Errno.None, "x")]        // a signal to itself
    [InlineData("n", 2, Signals.SIGKILL, Errno.None, "x")]
    [InlineData("a", 4, Signals.SIGUSR1, Errno.None, "x")]
    [InlineData("a", 4, Signals.SIGCHLD, Errno.None, null)]       // ignored by default
    [InlineData("init", 2, Signals.SIGQUIT, Errno.None, "a")]
    public void Kill_follows_visibility_and_init_protection(string sender, int nr, int sig, Errno errno, string? killed)
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var ns1 = w.NewNs(w.Root);
        var n = w.Fork(a, "n", ns: ns1);
        var x = w.Fork(n, "x");
        var byName = new Dictionary<string, TaskRecord> { ["init"] = w.Init, ["a"] = a, ["n"] = n, ["x"] = x };
        w.Out.Take();

        Assert.Equal(errno, w.Kill(byName[sender], nr, sig));

        string[] expected = killed is null ? [] : [$"kill {killed}"];
        Assert.Equal(expected, w.Out.Take());
        foreach (var (name, t) in byName)
        {
            Assert.Equal(name == killed, t.Group.FatalPending);
        }
    }

    [Fact]
    public void Kill_of_a_thread_id_kills_its_whole_group_once()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        w.Fork(a, "t", Thread);
        w.Out.Take();

        Assert.Equal(Errno.None, w.Kill(w.Init, 3, Signals.SIGTERM));
        Assert.Equal(["kill a", "kill t"], w.Out.Take());
        Assert.True(a.Group.FatalPending);

        Assert.Equal(Errno.None, w.Kill(w.Init, 2, Signals.SIGKILL));
        Assert.Empty(w.Out.Take());
    }

    [Fact]
    public void Kill_of_a_zombie_succeeds_without_effect()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        w.Exit(a);
        w.Out.Take();

        Assert.Equal(Errno.None, w.Kill(w.Init, 2, Signals.SIGKILL));
        Assert.Empty(w.Out.Take());
        Assert.Equal(ExitState.Zombie, a.ExitState);
    }

    [Fact]
    public void Kill_ends_the_victim_parked_wait_as_dead_before_killing_it()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        w.Fork(a, "b");
        Assert.Null(w.Wait(a, out var corr));
        w.Out.Take();

        Assert.Equal(Errno.None, w.Kill(w.Init, 2, Signals.SIGKILL));

        Assert.Equal([$"complete a#{corr} dead", "kill a"], w.Out.Take());
        Assert.False(w.List.IsWaiting(a));
    }

    [Fact]
    public void Kill_of_a_zombie_leader_with_live_threads_kills_the_threads()
    {
        // Linux: pid_task(tgid) is still the zombie leader; group_send_sig_info() -> complete_signal() makes a fatal
        // signal a group exit and SIGKILLs every thread.
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var t = w.Fork(a, "t", Thread);
        w.Exit(a);
        w.Out.Take();

        Assert.Equal(Errno.None, w.Kill(w.Init, 2, Signals.SIGKILL));

        Assert.Equal(["kill t"], w.Out.Take());
        Assert.True(t.Group.FatalPending);
    }

    // ---- zap_pid_ns_processes ---------------------------------------------------------------------------------------

    [Fact]
    public void Exit_of_namespace_init_zaps_every_task_numbered_2_or_more_in_number_order()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var ns1 = w.NewNs(w.Root);
        var n = w.Fork(a, "n", ns: ns1);
        var x = w.Fork(n, "x", nrs: [7]);
        w.Fork(x, "xt", Thread, nrs: [8]);
        w.Fork(x, "y", nrs: [3]);
        var ns2 = w.NewNs(ns1);
        var m = w.Fork(n, "m", ns: ns2, nrs: [1, 5]);
        w.Fork(m, "z", nrs: [2, 4]);
        w.Fork(w.Init, "j", ns: ns1, nrs: [6]);   // init after setns into ns1
        var outside = w.Fork(a, "o");

        var effects = w.Effects(() => w.List.Exit(n, group: false));

        Assert.Equal(["disable ns1", "kill y", "kill z", "kill m", "kill j", "kill x", "kill xt", "waitcount ns1=1 for n"], effects);
        Assert.True(w.List.IsDying(ns1));
        Assert.False(w.List.IsDying(ns2));
        Assert.True(n.Group.IgnoreSigchld);
        Assert.True(n.Exiting);
        Assert.Equal(ExitState.Running, n.ExitState); // waiting in zap_pid_ns_processes()
        Assert.Same(n, w.List.ChildReaperOf(ns1));
        Assert.False(outside.Group.FatalPending);
        Assert.False(a.Group.FatalPending);
    }

    [Fact]
    public void Zap_reaps_zombie_children_before_waiting_for_the_count()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var ns1 = w.NewNs(w.Root);
        var n = w.Fork(a, "n", ns: ns1);
        var x = w.Fork(n, "x");
        w.Exit(x);
        Assert.Equal(ExitState.Zombie, x.ExitState);

        Assert.Equal(["disable ns1", "release x", "waitcount ns1=1 for n"], w.Effects(() => w.List.Exit(n, group: false)));
    }

    [Fact]
    public void Zap_runs_to_the_end_only_when_the_namespace_is_empty()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var ns1 = w.NewNs(w.Root);
        var n = w.Fork(a, "n", ns: ns1);
        var x = w.Fork(n, "x");
        var xt = w.Fork(x, "xt", Thread);
        var y = w.Fork(x, "y");
        var ns2 = w.NewNs(ns1);
        var m = w.Fork(n, "m", ns: ns2);
        var z = w.Fork(m, "z");
        var j = w.Fork(w.Init, "j", ns: ns1);
        w.Exit(n);

        Assert.Empty(w.Effects(() => w.List.Exit(y, group: false)));        // zombie child of x
        Assert.Equal(["release xt"], w.Effects(() => w.List.Exit(xt, group: false)));
        Assert.Equal(["release y", "release x"], w.Effects(() => w.List.Exit(x, group: false)));   // to n, ignored
        Assert.Empty(w.Effects(() => w.List.Exit(z, group: false)));        // zombie child of m
        Assert.Equal(["disable ns2", "release z", "waitcount ns2=1 for m"], w.Effects(() => w.List.Exit(m, group: false)));
        Assert.Equal(["release m"], w.Effects(() => w.NamespaceEmptied(m)));    // n ignores SIGCHLD
        Assert.Empty(w.Effects(() => w.List.Exit(j, group: false)));        // its parent init is outside
        Assert.Equal(ExitState.Zombie, j.ExitState);
        Assert.Equal("0", w.WaitNow(a, 3, noHang: true)); // n still waits for j's number to go
        Assert.Matches("^release j -> wait init#.*=9$", w.Reap(w.Init, 9));

        Assert.Empty(w.Effects(() => w.NamespaceEmptied(n)));
        Assert.Equal(ExitState.Zombie, n.ExitState);
        Assert.Matches("^release n -> wait a#.*=3$", w.Reap(a));
        Assert.Equal(2, w.List.Count);
    }

    [Fact]
    public void Zap_end_wakes_the_parent_waiting_for_the_namespace_init()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var ns1 = w.NewNs(w.Root);
        var n = w.Fork(a, "n", ns: ns1);
        Assert.Null(w.Wait(a, out var corr));
        w.Exit(n);

        Assert.Equal([$"release n -> wait a#{corr}=3"], w.Effects(() => w.NamespaceEmptied(n)));
    }

    [Fact]
    public void Exit_of_init_leader_with_live_thread_hands_reaper_to_thread_then_zaps_waiting_for_2()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var ns1 = w.NewNs(w.Root);
        var n = w.Fork(a, "n", ns: ns1);
        var nt = w.Fork(n, "nt", Thread);
        var x = w.Fork(n, "x");

        Assert.Empty(w.Effects(() => w.List.Exit(n, group: false)));
        Assert.Same(nt, w.List.ChildReaperOf(ns1));
        Assert.False(w.List.IsDying(ns1));
        Assert.Same(nt, x.Group.RealParent);
        Assert.Equal(ExitState.Zombie, n.ExitState);

        Assert.Equal(["disable ns1", "kill x", "waitcount ns1=2 for nt"], w.Effects(() => w.List.Exit(nt, group: false)));
        Assert.Equal(["release x"], w.Effects(() => w.List.Exit(x, group: false)));
        Assert.Equal(["release nt"], w.Effects(() => w.NamespaceEmptied(nt)));
        Assert.Matches("^release n -> wait a#.*=3$", w.Reap(a));
    }

    [Fact]
    public void NamespaceEmptied_for_task_not_in_zap_throws()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");

        Assert.Throws<InvariantViolationException>(() => w.List.NamespaceEmptied(a));
    }

    // ---- subreaper, status, invariants ----------------------------------------------------------------------------

    [Fact]
    public void SetChildSubreaper_marks_existing_descendants_and_off_keeps_their_mark()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var b = w.Fork(a, "b");
        var c = w.Fork(b, "c");
        var s = w.Fork(w.Init, "s");

        w.List.SetChildSubreaper(a, on: true);
        Assert.True(b.Group.HasChildSubreaper);
        Assert.True(c.Group.HasChildSubreaper);
        Assert.False(s.Group.HasChildSubreaper);
        Assert.False(w.Init.Group.HasChildSubreaper);

        w.List.SetChildSubreaper(a, on: false);
        Assert.False(a.Group.IsChildSubreaper);
        Assert.True(c.Group.HasChildSubreaper);
        w.Exit(b);
        Assert.Same(w.Init, c.Group.RealParent); // a is no subreaper any more
    }

    [Fact]
    public void Status_of_thread_shows_its_group_leader_as_Tgid_and_nothing_outside_visibility()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var ns1 = w.NewNs(w.Root);
        var n = w.Fork(a, "n", ns: ns1);
        var nt = w.Fork(n, "nt", Thread);

        Assert.Equal("Tgid:\t3\nPid:\t4\nPPid:\t2\nNStgid:\t3\t1\nNSpid:\t4\t2\n", w.List.Status(nt, w.Root));
        Assert.Equal("Tgid:\t1\nPid:\t2\nPPid:\t0\nNStgid:\t1\nNSpid:\t2\n", w.List.Status(nt, ns1));
        Assert.Null(w.List.Status(w.Init, ns1));
        Assert.Null(w.List.Status(nt, w.NewNs(w.Root)));
    }

    [Fact]
    public void CheckInvariants_broken_parent_link_throws()
    {
        var w = new TaskListWorld();
        var a = w.Fork(w.Init, "a");
        var b = w.Fork(w.Init, "b");

        b.Group.RealParent = a; // listed by init, names a

        Assert.Throws<InvariantViolationException>(w.List.CheckInvariants);
    }
}
