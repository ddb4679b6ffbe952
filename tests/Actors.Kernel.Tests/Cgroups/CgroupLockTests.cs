using Actors.Kernel.Cgroups;
using Xunit;
using static Actors.Kernel.Tests.Cgroups.CgroupWorld;

namespace Actors.Kernel.Tests.Cgroups;

/// <summary>cgroup_threadgroup_rwsem and cgroup_mutex as the core keeps them (Admit, Defer, NextRunnable,
/// ReleaseReader), fork tickets (cgroup_can_fork()'s css_set snapshot and charge chain), and CheckInvariants catching
/// states the core must never reach.</summary>
public class CgroupLockTests
{
    private static ForkTicket Ticket(long id) => new(id, Init, [], [], Locked: true);

    [Fact]
    public void A_writer_waits_for_the_readers_and_everything_after_it_waits_for_the_writer()
    {
        var core = new CgroupWorld().Core;
        Assert.True(core.Admit(CgroupLockUse.Reader));
        Assert.Equal(1, core.Readers);
        Assert.True(core.Admit(CgroupLockUse.Mutex));                    // nothing waits: mkdir does not wait for forks
        Assert.False(core.Admit(CgroupLockUse.Writer));
        core.Defer("W", CgroupLockUse.Writer);
        Assert.False(core.Admit(CgroupLockUse.Reader));                  // percpu_rwsem: no new reader behind a writer
        core.Defer("R", CgroupLockUse.Reader);
        Assert.False(core.Admit(CgroupLockUse.Mutex));                   // the waiting writer holds cgroup_mutex
        core.Defer("M", CgroupLockUse.Mutex);
        Assert.True(core.Admit(CgroupLockUse.None));                     // reads take neither
        Assert.Equal(1, core.Readers);
        Assert.Equal(3, core.Deferred);
        core.CheckInvariants();

        Assert.Null(core.NextRunnable());
        core.ReleaseReader(Ticket(1));
        Assert.Equal(0, core.Readers);
        Assert.Equal("W", core.NextRunnable());
        Assert.Equal("R", core.NextRunnable());
        Assert.Equal(1, core.Readers);                                   // admitted as it was handed out
        Assert.Equal("M", core.NextRunnable());
        Assert.Null(core.NextRunnable());
        Assert.Equal(0, core.Deferred);
        core.ReleaseReader(Ticket(2));
        Assert.Equal(0, core.Readers);
        core.CheckInvariants();
    }

    [Fact]
    public void A_second_writer_waits_again_for_the_readers_admitted_before_it()
    {
        var core = new CgroupWorld().Core;
        Assert.True(core.Admit(CgroupLockUse.Reader));
        core.Defer("W1", CgroupLockUse.Writer);
        core.Defer("R", CgroupLockUse.Reader);
        core.Defer("W2", CgroupLockUse.Writer);
        core.Defer("M", CgroupLockUse.Mutex);
        core.ReleaseReader(Ticket(1));

        Assert.Equal("W1", core.NextRunnable());
        Assert.Equal("R", core.NextRunnable());
        Assert.Null(core.NextRunnable());                                // W2 waits for R
        Assert.Equal(2, core.Deferred);
        core.CheckInvariants();                                          // the queue starts with a writer
        Assert.False(core.Admit(CgroupLockUse.Reader));

        core.ReleaseReader(Ticket(2));
        Assert.Equal("W2", core.NextRunnable());
        Assert.Equal("M", core.NextRunnable());
        Assert.Null(core.NextRunnable());
        Assert.True(core.Admit(CgroupLockUse.Writer));
    }

    [Fact]
    public void A_writer_runs_at_once_when_no_fork_holds_the_rwsem()
    {
        var core = new CgroupWorld().Core;
        Assert.True(core.Admit(CgroupLockUse.Writer));
        Assert.True(core.Admit(CgroupLockUse.Writer));                   // a writer runs in one step: nothing held
        Assert.Equal(0, core.Readers);
        Assert.Null(core.NextRunnable());
    }

    [Fact]
    public void Forks_in_the_broken_model_take_no_lock()
    {
        var w = new CgroupWorld(forkUnlocked: true);
        Assert.True(w.Core.Admit(CgroupLockUse.Reader));
        Assert.Equal(0, w.Core.Readers);
        var ticket = w.Core.CanFork(Init);
        Assert.False(ticket.Locked);
        w.Core.ReleaseReader(ticket);
        Assert.Equal(0, w.Core.Readers);
        Assert.True(w.Core.Admit(CgroupLockUse.Writer));
    }

    [Fact]
    public void A_fork_ticket_snapshots_the_parents_cgroups_and_lists_the_levels_to_charge_innermost_first()
    {
        var w = new CgroupWorld(v1: ["pids", "cpu"]);
        var p = w.Spawn(Init);
        w.Dir("pids/a");
        var b = w.Dir("pids/a/b");
        var c = w.Dir("cpu/c");
        Assert.Equal(Errno.None, w.Write("pids/a/b/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.None, w.Write("cpu/c/cgroup.procs", $"{p}"));

        var ticket = w.Core.CanFork(p);
        Assert.Equal(p, ticket.ParentId);
        Assert.Equal([b.Id, c.Id, w.H("unified").Top.Id], ticket.CgroupIds.ToArray());
        Assert.Equal([b, w.Cg("pids/a"), w.H("pids").Top], ticket.Chain.Select(l => w.Out.CgroupOf(l.Actor)));
        Assert.All(ticket.Chain, l => Assert.Equal(("pids", 0, false), (l.Subsystem, l.Slot, l.OnDefault)));
        Assert.True(ticket.Locked);
        Assert.True(w.Core.CanFork(p).Id > ticket.Id);
    }

    [Fact]
    public void A_fork_ticket_charges_nothing_where_no_cgroup_has_a_charging_css()
    {
        var w = new CgroupWorld(v1: []);                                 // pids on v2 but not enabled
        Assert.Empty(w.Core.CanFork(Init).Chain);
        var child = w.Spawn(Init);
        Assert.Same(w.H("unified").Top, w.Core.CgroupOf(child, w.H("unified")));
    }

    [Fact]
    public void A_fork_at_the_limit_is_refused_and_after_a_reap_admitted()
    {
        var w = new CgroupWorld();
        w.Dir("pids/a");
        var p = w.Spawn(Init);
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.None, w.Write("pids/a/pids.max", "2"));
        var c = w.Spawn(p);
        Assert.Equal(-1, w.Fork(p));
        Assert.Equal(2, w.PidsCurrent("pids/a"));
        Assert.Equal(3, w.PidsCurrent("pids"));                          // the refused level's parent was reverted
        w.Exit(c);
        Assert.Equal(-1, w.Fork(p));                                     // a zombie keeps its charge
        w.Release(c);
        Assert.True(w.Fork(p) > 0);
        Assert.Equal("2\n", w.Text("pids/a/pids.peak"));
        w.CheckCharges();
        Assert.Equal(0, w.Core.Readers);
    }

    [Fact]
    public void The_rwsem_is_what_keeps_a_forks_css_set_alive()
    {
        // A fork took a's css_set; a migration (which the rwsem would have held back) empties a and rmdir removes it
        // (a lingers: its removed child b holds a zombie).
        var w = new CgroupWorld();
        w.Dir("pids/a");
        w.Dir("pids/a/b");
        var p = w.Spawn(Init);
        var z = w.Spawn(Init);
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.None, w.Write("pids/a/b/cgroup.procs", $"{z}"));
        w.Exit(z);
        Assert.True(w.Core.Admit(CgroupLockUse.Reader));
        var ticket = w.Core.CanFork(p);
        Assert.False(w.Core.Admit(CgroupLockUse.Writer));                // the real path stops here
        Assert.Equal(Errno.None, w.Core.WriteFile(w.H("pids").Top, "cgroup.procs", $"{p}", Init, w.Root));
        Assert.Equal(Errno.None, w.Rmdir("pids/a/b"));
        Assert.Equal(Errno.None, w.Rmdir("pids/a"));
        var e = Assert.Throws<InvariantViolationException>(() => w.PostFork(ticket, p));
        Assert.Contains("linked into removed cgroup", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_rwsem_a_fork_racing_a_migration_is_charged_in_one_cgroup_and_linked_in_another()
    {
        var w = new CgroupWorld(forkUnlocked: true);
        w.Dir("pids/a");
        w.Dir("pids/b");
        var p = w.Spawn(Init);
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.True(w.Core.Admit(CgroupLockUse.Reader));
        var ticket = w.Core.CanFork(p);
        foreach (var level in ticket.Chain)
        {
            Assert.True(w.Out.CssOf(level.Actor)[level.Subsystem].TryCharge());
        }
        Assert.True(w.Core.Admit(CgroupLockUse.Writer));                 // nothing holds it back
        Assert.Equal(Errno.None, w.Write("pids/b/cgroup.procs", $"{p}"));
        var child = w.PostFork(ticket, p);
        Assert.Same(w.Cg("pids/b"), w.Core.CgroupOf(child, w.H("pids")));
        w.Check();                                                       // every step looks fine ...
        var e = Assert.Throws<Xunit.Sdk.TrueException>(w.CheckCharges); // ... but a holds b's charge
        Assert.Contains("pids:/a", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckInvariants_catches_a_request_waiting_with_no_writer_ahead()
    {
        var core = new CgroupWorld().Core;
        core.Defer("R", CgroupLockUse.Reader);
        var e = Assert.Throws<InvariantViolationException>(core.CheckInvariants);
        Assert.Contains("no migration ahead", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Releasing_the_rwsem_without_holding_it_is_caught()
    {
        var core = new CgroupWorld().Core;
        Assert.Throws<InvariantViolationException>(() => core.ReleaseReader(Ticket(1)));
        core.ReleaseReader(new ForkTicket(2, Init, [], [], Locked: false));   // an unlocked ticket releases nothing
    }

    [Fact]
    public void CheckInvariants_catches_a_wrong_live_task_count()
    {
        var w = new CgroupWorld();
        var a = w.Dir("pids/a");
        a.LiveTasks = 1;
        var e = Assert.Throws<InvariantViolationException>(w.Core.CheckInvariants);
        Assert.Contains("1 live tasks counted, 0 listed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckInvariants_catches_a_wrong_descendant_count()
    {
        var w = new CgroupWorld();
        w.Dir("pids/a");
        w.H("pids").Top.NrDescendants = 5;
        var e = Assert.Throws<InvariantViolationException>(w.Core.CheckInvariants);
        Assert.Contains("nr_descendants 5, tree has 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckInvariants_catches_a_task_listed_in_a_cgroup_it_is_not_in()
    {
        var w = new CgroupWorld();
        var a = w.Dir("pids/a");
        var top = w.H("pids").Top;
        // init's css_set (top in pids) moved from top's links to a's, with the counts to match.
        var set = top.Sets.Single();
        top.Sets.Remove(set);
        a.Sets.Add(set);
        a.LiveTasks++;
        a.TaskCount++;
        top.LiveTasks--;
        top.TaskCount--;
        var e = Assert.Throws<InvariantViolationException>(w.Core.CheckInvariants);
        Assert.Contains("lists a task that is elsewhere", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckInvariants_catches_a_removed_cgroup_still_listed_as_a_child()
    {
        var w = new CgroupWorld();
        var a = w.Dir("pids/a");
        a.Online = false;
        var e = Assert.Throws<InvariantViolationException>(w.Core.CheckInvariants);
        Assert.Contains("removed or misparented", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Protocol_violations_throw()
    {
        var w = new CgroupWorld();
        var p = w.Spawn(Init);
        Assert.Throws<InvariantViolationException>(() => w.Core.Release(p));       // before cgroup_exit
        w.Exit(p);
        Assert.Throws<InvariantViolationException>(() => w.Core.Exit(p));          // twice
        w.Release(p);
        Assert.False(w.Core.Knows(p));
        Assert.Null(w.Core.CgroupOf(p, w.H("pids")));
        Assert.Throws<InvariantViolationException>(() => w.Core.CanFork(p));       // a released parent
        Assert.Throws<InvariantViolationException>(() => w.Core.Exit(999));
        var ticket = w.Core.CanFork(Init);
        w.Core.PostFork(ticket, 50, w.PidOf(Init), 50, w.PidOf(Init));
        Assert.Throws<InvariantViolationException>(() => w.Core.PostFork(ticket, 50, w.PidOf(Init), 50, w.PidOf(Init)));
    }
}
