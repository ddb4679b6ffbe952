using Xunit;
using static Actors.Kernel.Tests.Cgroups.CgroupWorld;

namespace Actors.Kernel.Tests.Cgroups;

/// <summary>Writes to <c>cgroup.procs</c> and <c>tasks</c> (cgroup_procs_write_start(), cgroup_migrate_vet_dst(),
/// cgroup_migrate_add_task(), pids_can_attach()) and the task listings (v1 pidlists sorted and unique, v2 in css_set
/// order). Task ids are their root pid numbers.</summary>
public class CgroupMigrationTests
{
    private static string Lines(params int[] numbers) => string.Concat(numbers.Select(n => $"{n}\n"));

    /// <summary>v2 with pids and memory handed down from the scenario's cgroup: init moves to <c>unified/init</c> so
    /// that the top (with no task of its own) can enable them for its children.</summary>
    private static CgroupWorld V2WithControllersBelowTheTop()
    {
        var w = new CgroupWorld(v1: [], v2: ["pids", "memory"]);
        w.Dir("unified/init");
        Assert.Equal(Errno.None, w.Write("unified/init/cgroup.procs", $"{Init}"));
        Assert.Equal(Errno.None, w.Write("unified/cgroup.subtree_control", "+pids +memory"));
        return w;
    }

    [Fact]
    public void Tasks_moves_one_thread_and_cgroup_procs_the_whole_thread_group()
    {
        var w = new CgroupWorld();
        var p = w.Spawn(Init);
        var t1 = w.Spawn(p, thread: true);
        var t2 = w.Spawn(p, thread: true);
        w.Dir("pids/a");
        w.Dir("pids/b");
        w.Out.Take();

        Assert.Equal(Errno.None, w.Write("pids/a/tasks", $"{t1}"));
        Assert.Equal(["adjust pids:/a pids +1"], Net(w.Out.Take()));
        Assert.Equal(Lines(t1), w.Text("pids/a/tasks"));
        Assert.Equal(Lines(Init, p, t2), w.Text("pids/tasks"));

        Assert.Equal(Errno.None, w.Write("pids/b/cgroup.procs", $"{t2}"));  // any thread names its group
        Assert.Equal(["adjust pids:/b pids +3", "adjust pids:/a pids -1"], Net(w.Out.Take()));
        Assert.Equal(Lines(p, t1, t2), w.Text("pids/b/tasks"));
        Assert.Equal(Lines(p), w.Text("pids/b/cgroup.procs"));
        Assert.Equal("", w.Text("pids/a/tasks"));
        Assert.Equal(Lines(Init), w.Text("pids/tasks"));
        Assert.Equal(0, w.PidsCurrent("pids/a"));
        Assert.Equal(3, w.PidsCurrent("pids/b"));
        Assert.Equal(4, w.PidsCurrent("pids"));
        w.CheckCharges();
    }

    [Fact]
    public void A_charge_moves_with_a_net_change_only_below_the_common_ancestor()
    {
        var w = new CgroupWorld();
        var p = w.Spawn(Init);
        w.Dir("pids/a");
        w.Dir("pids/a/c");
        w.Dir("pids/b");
        w.Out.Take();

        Assert.Equal(Errno.None, w.Write("pids/a/c/cgroup.procs", $"{p}"));
        Assert.Equal(["adjust pids:/a/c pids +1", "adjust pids:/a pids +1"], Net(w.Out.Take()));
        Assert.Equal(Errno.None, w.Write("pids/b/cgroup.procs", $"{p}"));
        Assert.Equal(["adjust pids:/b pids +1", "adjust pids:/a/c pids -1", "adjust pids:/a pids -1"], Net(w.Out.Take()));
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.Equal(["adjust pids:/a pids +1", "adjust pids:/b pids -1"], Net(w.Out.Take()));
        Assert.Equal(Errno.None, w.Write("pids/a/c/cgroup.procs", $"{p}"));
        Assert.Equal(["adjust pids:/a/c pids +1"], Net(w.Out.Take()));
        Assert.Equal(Errno.None, w.Write("pids/a/c/cgroup.procs", $"{p}"));    // already there
        Assert.Empty(w.Out.Take());
        Assert.Equal(2, w.PidsCurrent("pids"));
        w.CheckCharges();
    }

    [Fact]
    public void A_migration_is_never_refused_by_pids_max()
    {
        var w = new CgroupWorld();
        var p = w.Spawn(Init);
        var q = w.Spawn(Init);
        w.Dir("pids/a");
        Assert.Equal(Errno.None, w.Write("pids/a/pids.max", "1"));
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{q}"));
        Assert.Equal(2, w.PidsCurrent("pids/a"));
        Assert.Equal("2\n", w.Text("pids/a/pids.peak"));
        Assert.Equal(-1, w.Fork(p));                                          // but a fork is
        Assert.Equal(2, w.PidsCurrent("pids/a"));
        w.CheckCharges();
    }

    [Fact]
    public void A_zombie_moves_without_error_and_nothing_moves()
    {
        var w = new CgroupWorld();
        var p = w.Spawn(Init);
        w.Dir("pids/a");
        w.Exit(p);
        w.Out.Take();
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.None, w.Write("pids/a/tasks", $"{p}"));
        Assert.Empty(w.Out.Take());
        Assert.Same(w.H("pids").Top, w.Core.CgroupOf(p, w.H("pids")));
        Assert.Equal(0, w.PidsCurrent("pids/a"));
    }

    [Fact]
    public void Cgroup_procs_of_a_zombie_leader_moves_its_live_threads()
    {
        var w = new CgroupWorld();
        var p = w.Spawn(Init);
        var t = w.Spawn(p, thread: true);
        w.Dir("pids/a");
        w.Exit(p);
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.Same(w.H("pids").Top, w.Core.CgroupOf(p, w.H("pids")));
        Assert.Same(w.Cg("pids/a"), w.Core.CgroupOf(t, w.H("pids")));
        Assert.Equal(Lines(t), w.Text("pids/a/tasks"));
        w.CheckCharges();
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("")]
    [InlineData("1.5")]
    [InlineData("1 2")]
    [InlineData("2147483648")]
    public void Procs_writes_refuse_what_is_not_a_pid_with_EINVAL(string text)
    {
        var w = new CgroupWorld();
        w.Dir("pids/a");
        w.Out.Take();
        Assert.Equal(Errno.EINVAL, w.Write("pids/a/cgroup.procs", text));
        Assert.Equal(Errno.EINVAL, w.Write("pids/a/tasks", text));
        Assert.Empty(w.Out.Take());
    }

    [Fact]
    public void Procs_writes_of_an_unknown_or_reaped_pid_are_ESRCH()
    {
        var w = new CgroupWorld();
        var p = w.Spawn(Init);
        w.Dir("pids/a");
        Assert.Equal(Errno.ESRCH, w.Write("pids/a/cgroup.procs", "999"));
        w.Reap(p);
        Assert.Equal(Errno.ESRCH, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.ESRCH, w.Write("pids/a/tasks", $"{p}\n"));
    }

    [Fact]
    public void Procs_writes_parse_stripped_kernel_integers()
    {
        var w = new CgroupWorld();
        var p = w.Spawn(Init);                                                   // 2
        w.Dir("pids/a");
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", " 0x2 \n"));
        Assert.Same(w.Cg("pids/a"), w.Core.CgroupOf(p, w.H("pids")));
    }

    [Fact]
    public void Zero_names_the_writer_itself()
    {
        var w = new CgroupWorld();
        var p = w.Spawn(Init);
        var t = w.Spawn(p, thread: true);
        w.Dir("pids/a");
        w.Dir("pids/b");
        Assert.Equal(Errno.None, w.Write("pids/a/tasks", "0", writer: t));
        Assert.Equal(Lines(t), w.Text("pids/a/tasks"));
        Assert.Equal(Errno.None, w.Write("pids/b/cgroup.procs", "0\n", writer: t));
        Assert.Equal(Lines(p, t), w.Text("pids/b/tasks"));
        Assert.Equal(Lines(Init), w.Text("pids/tasks"));
    }

    [Fact]
    public void Pids_are_read_in_the_writers_namespace()
    {
        var w = new CgroupWorld();
        var ns1 = w.NewNs(w.Root);
        var n = w.Spawn(Init, ns: ns1);                                          // 2 in ns0, 1 in ns1
        w.Dir("pids/a");
        Assert.Equal(1, w.PidOf(n).NrIn(ns1));
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", "1", writer: n, ns: ns1));
        Assert.Same(w.Cg("pids/a"), w.Core.CgroupOf(n, w.H("pids")));
        Assert.Same(w.H("pids").Top, w.Core.CgroupOf(Init, w.H("pids")));
        Assert.Equal(Errno.ESRCH, w.Write("pids/a/cgroup.procs", "2", writer: n, ns: ns1));  // nothing is 2 in ns1
    }

    [Fact]
    public void V1_listings_are_sorted_unique_and_leave_out_invisible_and_exited_tasks()
    {
        var w = new CgroupWorld();
        var p2 = w.Spawn(Init);
        var p3 = w.Spawn(Init);
        var p4 = w.Spawn(Init);
        var t5 = w.Spawn(p4, thread: true);
        var ns1 = w.NewNs(w.Root);
        var n = w.Spawn(Init, ns: ns1);
        w.Dir("pids/a");
        foreach (var t in new[] { t5, p2, n, p4, p3 })
        {
            Assert.Equal(Errno.None, w.Write("pids/a/tasks", $"{t}"));
        }
        Assert.Equal(Lines(p2, p3, p4, t5, n), w.Text("pids/a/tasks"));
        Assert.Equal(Lines(p2, p3, p4, n), w.Text("pids/a/cgroup.procs"));
        Assert.Equal(Lines(1), w.Text("pids/a/tasks", ns1));                     // only n is visible there
        Assert.Equal(Lines(1), w.Text("pids/a/cgroup.procs", ns1));
        Assert.Equal("", w.Text("pids/tasks", ns1));

        w.Exit(p3);
        Assert.Equal(Lines(p2, p4, t5, n), w.Text("pids/a/tasks"));
        Assert.Equal(Lines(p2, p4, n), w.Text("pids/a/cgroup.procs"));
    }

    [Fact]
    public void V2_listings_are_in_join_order_and_show_invisible_tasks_as_zero()
    {
        var w = new CgroupWorld(v1: []);
        var p2 = w.Spawn(Init);
        var p3 = w.Spawn(Init);
        var p4 = w.Spawn(Init);
        var t5 = w.Spawn(p4, thread: true);
        var ns1 = w.NewNs(w.Root);
        var n = w.Spawn(Init, ns: ns1);
        Assert.Equal(Lines(Init, p2, p3, p4, n), w.Text("unified/cgroup.procs"));
        Assert.Equal(Lines(Init, p2, p3, p4, t5, n), w.Text("unified/cgroup.threads"));
        Assert.Equal(Lines(0, 0, 0, 0, 1), w.Text("unified/cgroup.procs", ns1));

        w.Dir("unified/a");
        foreach (var t in new[] { p4, p2, n, p3 })
        {
            Assert.Equal(Errno.None, w.Write("unified/a/cgroup.procs", $"{t}"));
        }
        Assert.Equal(Lines(p4, p2, n, p3), w.Text("unified/a/cgroup.procs"));
        Assert.Equal(Lines(p4, t5, p2, n, p3), w.Text("unified/a/cgroup.threads"));
    }

    [Fact]
    public void V2_cgroup_procs_shows_a_zombie_leader_while_a_thread_of_its_group_lives()
    {
        var w = new CgroupWorld(v1: []);
        var p = w.Spawn(Init);
        var t = w.Spawn(p, thread: true);
        var q = w.Spawn(Init);
        w.Exit(p);
        w.Exit(q);
        Assert.Equal(Lines(Init, p), w.Text("unified/cgroup.procs"));
        Assert.Equal(Lines(Init, t), w.Text("unified/cgroup.threads"));
        w.Exit(t);
        Assert.Equal(Lines(Init), w.Text("unified/cgroup.procs"));
    }

    [Fact]
    public void Cgroup_events_counts_live_tasks_of_the_subtree_only()
    {
        var w = new CgroupWorld(v1: []);
        var p = w.Spawn(Init);
        var t = w.Spawn(p, thread: true);
        w.Dir("unified/a");
        w.Dir("unified/a/b");
        Assert.Equal("populated 0\nfrozen 0\n", w.Text("unified/a/cgroup.events"));
        Assert.Equal(Errno.None, w.Write("unified/a/b/cgroup.procs", $"{p}"));
        Assert.Equal("populated 1\nfrozen 0\n", w.Text("unified/a/cgroup.events"));
        Assert.Equal("populated 1\nfrozen 0\n", w.Text("unified/a/b/cgroup.events"));
        w.Exit(p);
        Assert.Equal("populated 1\nfrozen 0\n", w.Text("unified/a/b/cgroup.events"));  // t lives
        w.Exit(t);
        Assert.Equal("populated 0\nfrozen 0\n", w.Text("unified/a/b/cgroup.events"));  // zombies only
        Assert.Equal("populated 0\nfrozen 0\n", w.Text("unified/a/cgroup.events"));
        Assert.Equal("populated 1\nfrozen 0\n", w.Text("unified/cgroup.events"));      // init
        Assert.Equal(Errno.None, w.Rmdir("unified/a/b"));
    }

    [Fact]
    public void V2_refuses_processes_in_a_cgroup_with_domain_controllers_enabled_for_its_children()
    {
        var w = V2WithControllersBelowTheTop();
        var p = w.Spawn(Init);
        var q = w.Spawn(Init);
        w.Dir("unified/a");
        w.Dir("unified/a/b");
        Assert.Equal(Errno.None, w.Write("unified/a/cgroup.subtree_control", "+memory"));
        Assert.Equal(Errno.EBUSY, w.Write("unified/a/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.ESRCH, w.Write("unified/a/cgroup.procs", "999"));   // the pid is looked up first
        w.Exit(q);
        Assert.Equal(Errno.EBUSY, w.Write("unified/a/cgroup.procs", $"{q}"));   // vetted before the zombie is skipped
        Assert.Equal(Errno.None, w.Write("unified/a/b/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.EBUSY, w.Write("unified/cgroup.procs", $"{p}"));      // the top enabled memory too
        w.CheckCharges();
    }

    [Fact]
    public void V2_accepts_processes_where_only_threaded_controllers_are_enabled_and_no_child_is_populated()
    {
        var w = V2WithControllersBelowTheTop();
        var p = w.Spawn(Init);
        var q = w.Spawn(Init);
        w.Dir("unified/a");
        w.Dir("unified/a/b");
        Assert.Equal(Errno.None, w.Write("unified/a/cgroup.subtree_control", "+pids"));
        Assert.Equal(Errno.None, w.Write("unified/a/cgroup.procs", $"{p}"));   // a can be a thread root
        Assert.Equal(Errno.None, w.Write("unified/a/b/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.EBUSY, w.Write("unified/a/cgroup.procs", $"{q}"));  // now a child is populated
        w.CheckCharges();
    }

    [Fact]
    public void Core_files_refuse_writes_they_have_no_handler_for()
    {
        var w = new CgroupWorld(v1: ["pids"]);
        Assert.Equal(Errno.EINVAL, w.Write("unified/cgroup.events", "populated 0"));
        Assert.Equal(Errno.EINVAL, w.Write("unified/cgroup.controllers", "+memory"));
        Assert.Equal(Errno.EINVAL, w.Write("unified/cgroup.type", "threaded"));
        Assert.Equal(Errno.ENOENT, w.Write("pids/nosuch", "1"));
        Assert.Equal(Errno.EISDIR, w.Write("pids", "1"));
    }

    // Found as a model bug by these tests, fixed: v1 cgroup.procs is a pidlist of the
    // tgids of every live task in the cgroup (cgroup-v1.c:pidlist_array_load() iterates with flags 0 and maps each task
    // to task_tgid_vnr(), then sorts and drops duplicates). The model lists the group leaders linked in the cgroup (the
    // v2 CSS_TASK_ITER_PROCS rule), so a thread moved alone through `tasks` does not show its process, and a zombie
    // leader whose live threads moved away still shows in its old cgroup.
    [Fact]
    public void V1_cgroup_procs_lists_the_tgid_of_every_live_task_in_the_cgroup()
    {
        var w = new CgroupWorld();
        var p = w.Spawn(Init);
        var t = w.Spawn(p, thread: true);
        w.Dir("pids/a");
        Assert.Equal(Errno.None, w.Write("pids/a/tasks", $"{t}"));
        Assert.Equal(Lines(Init, p), w.Text("pids/cgroup.procs"));                // p itself is still here
        w.Exit(p);
        // Linux: a has live t, whose tgid is p; the top has only init live (p is a zombie there).
        Assert.Equal(Lines(p), w.Text("pids/a/cgroup.procs"));
        Assert.Equal(Lines(Init), w.Text("pids/cgroup.procs"));
    }

    // Found as a model bug by these tests, fixed: pids_can_attach() calls pids_charge(dst)
    // then pids_uncharge(src), and pids_charge() raises the watermark of every level up to the root
    // (pids_update_watermark()), so a move between two children raises their common ancestors' pids.peak to
    // current + 1. The model sends no message to the common levels (CgroupCore.MoveCharge), so their pids.peak stays.
    [Fact]
    public void A_migration_raises_pids_peak_of_the_common_ancestors_as_pids_charge_does()
    {
        var w = new CgroupWorld();
        var p = w.Spawn(Init);
        w.Dir("pids/a");
        w.Dir("pids/b");
        Assert.Equal("2\n", w.Text("pids/pids.peak"));
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.Equal(2, w.PidsCurrent("pids"));
        Assert.Equal("3\n", w.Text("pids/pids.peak"));        // Linux: top 2 -> 3 (charge a's chain) -> 2
    }

    /// <summary>A cgroup lists its tasks in the order they joined it, although tasks share css_sets across
    /// hierarchies: b (forked before a) leaves a's css_set in pids and comes back (last in that set's list, and last
    /// in pids), yet stays before a in unified, where it never moved; then it moves in unified and comes back last there
    /// too. The v2 listing shows the order (v1 listings are sorted).</summary>
    [Fact]
    public void A_cgroup_lists_tasks_in_join_order_across_shared_css_sets()
    {
        var w = new CgroupWorld(v1: ["pids"], v2: []);
        var b = w.Spawn(Init);
        var a = w.Spawn(Init);
        w.Dir("pids/x");
        w.Dir("unified/y");
        Assert.Equal(Lines(Init, b, a), w.Text("unified/cgroup.procs"));

        Assert.Equal(Errno.None, w.Write("pids/x/cgroup.procs", $"{b}"));
        Assert.Equal(Errno.None, w.Write("pids/cgroup.procs", $"{b}"));
        Assert.Same(w.Core.CgroupOf(a, w.H("pids")), w.Core.CgroupOf(b, w.H("pids")));
        Assert.Equal(Lines(Init, b, a), w.Text("unified/cgroup.procs"));
        Assert.Equal(Lines(Init, b, a), w.Text("unified/cgroup.threads"));

        Assert.Equal(Errno.None, w.Write("unified/y/cgroup.procs", $"{b}"));
        Assert.Equal(Lines(b), w.Text("unified/y/cgroup.procs"));
        Assert.Equal(Lines(Init, a), w.Text("unified/cgroup.procs"));
        Assert.Equal(Errno.None, w.Write("unified/cgroup.procs", $"{b}"));
        Assert.Equal(Lines(Init, a, b), w.Text("unified/cgroup.procs"));
        Assert.Equal("", w.Text("unified/y/cgroup.procs"));
        Assert.Equal(Lines(Init, b, a), w.Text("pids/tasks"));   // sorted
        w.Core.CheckInvariants();

        // Released tasks leave their css_set; the last one of a set drops it.
        w.Reap(a);
        w.Reap(b);
        Assert.Equal(Lines(Init), w.Text("unified/cgroup.procs"));
        w.Core.CheckInvariants();
        Assert.Equal(Errno.None, w.Rmdir("unified/y"));
        Assert.Equal(Errno.None, w.Rmdir("pids/x"));
        w.CheckCharges();
    }

    /// <summary>The net charge per cgroup of a migration's adjustments, in order of first appearance, zeros left out
    /// (pids_charge(dst) and pids_uncharge(src) both run up to the root: the common ancestors get +1 and -1).</summary>
    private static List<string> Net(IEnumerable<string> adjustments)
    {
        var order = new List<string>();
        var sum = new Dictionary<string, long>();
        foreach (var a in adjustments)
        {
            var cut = a.LastIndexOf(' ');
            var key = a[..cut];
            if (!sum.ContainsKey(key))
            {
                order.Add(key);
                sum[key] = 0;
            }
            sum[key] += long.Parse(a[(cut + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return [.. order.Where(k => sum[k] != 0).Select(k => $"{k} {(sum[k] > 0 ? "+" : "")}{sum[k]}")];
    }
}
