using Actors.Kernel.Cgroups;
using Xunit;
using static Actors.Kernel.Tests.Cgroups.CgroupWorld;

namespace Actors.Kernel.Tests.Cgroups;

/// <summary>The core's boot, mkdir (VFS lookup, then cgroup_mkdir() and cgroup_check_hierarchy_limits()) and rmdir
/// (cgroup_rmdir() -> cgroup_destroy_locked(), and the lingering of a removed cgroup until its last dying task is
/// released).</summary>
public class CgroupTreeTests
{
    [Fact]
    public void Boot_places_init_in_the_top_of_every_hierarchy_and_charges_it()
    {
        var w = new CgroupWorld(v1: ["pids", "cpu", "cpuset", "memory", "freezer"]);
        Assert.Equal(["pids", "cpu", "cpuset", "memory", "freezer", "unified"], w.Core.Hierarchies.Select(h => h.Name));
        Assert.Equal([0, 1, 2, 3, 4, 5], w.Core.Hierarchies.Select(h => h.Index));
        Assert.Equal(["hugetlb"], w.H("unified").Subsystems.Select(s => s.Name));
        foreach (var h in w.Core.Hierarchies)
        {
            Assert.Same(h.Top, w.Core.CgroupOf(Init, h));
            Assert.Same(h.Root, h.Top.Parent);
            Assert.Equal("/", h.Top.ScenarioPath);
            Assert.Equal("1\n", w.Text($"{h.Name}/cgroup.procs"));
        }
        Assert.Equal(
            ["create pids:/ [pids]", "create cpu:/ [cpu]", "create cpuset:/ [cpuset]", "create memory:/ [memory]",
             "create freezer:/ [freezer]", "create unified:/ []", "adjust pids:/ pids +1"],
            w.Out.Take());
        Assert.Equal(1, w.PidsCurrent("pids"));
        Assert.Equal([Init], w.Core.TaskIds);
        Assert.Equal(0, w.Core.Readers);
        Assert.Equal(0, w.Core.Deferred);
    }

    [Fact]
    public void Boot_with_pids_on_v2_charges_the_unified_top()
    {
        var w = new CgroupWorld(v1: [], v2: ["pids", "memory"]);
        Assert.Equal(["unified"], w.Core.Hierarchies.Select(h => h.Name));
        Assert.Equal(["cpuset", "cpu", "memory", "freezer", "hugetlb", "pids"], w.H("unified").Subsystems.Select(s => s.Name));
        Assert.Equal(["create unified:/ [memory pids]", "adjust unified:/ pids +1"], w.Out.Take());
        Assert.Equal("memory pids\n", w.Text("unified/cgroup.controllers"));
        Assert.Equal("\n", w.Text("unified/cgroup.subtree_control"));
        Assert.Equal(1, w.PidsCurrent("unified"));
        Assert.Equal("populated 1\nfrozen 0\n", w.Text("unified/cgroup.events"));
        Assert.Equal("domain\n", w.Text("unified/cgroup.type"));
        Assert.Equal("max\n", w.Text("unified/cgroup.max.depth"));
        Assert.Equal("max\n", w.Text("unified/cgroup.max.descendants"));
    }

    [Fact]
    public void Mkdir_creates_a_cgroup_with_an_actor_for_the_controllers_it_has()
    {
        var w = new CgroupWorld();
        w.Out.Take();
        var a = w.Dir("pids/a");
        var b = w.Dir("pids/a/b");
        Assert.Equal(["create pids:/a [pids]", "create pids:/a/b [pids]"], w.Out.Take());
        Assert.Equal("/a/b", b.ScenarioPath);
        Assert.Same(a, b.Parent);
        Assert.Equal(3, b.Level);                                    // the hidden root is level 0
        Assert.Equal(2, w.H("pids").Top.NrDescendants);
        Assert.Equal("max\n", w.Text("pids/a/b/pids.max"));
        Assert.Equal("", w.Text("pids/a/b/tasks"));
        Assert.Equal(0, w.PidsCurrent("pids/a"));
        Assert.Equal(Errno.EEXIST, w.Mkdir("pids/a/b/"));            // a trailing slash names the same directory
    }

    [Theory]
    [InlineData("/sys/fs/cgroup/nosuch/a", Errno.ENOENT)]       // no such hierarchy
    [InlineData("/sys/fs/cgroup/nosuch", Errno.ENOENT)]
    [InlineData("pids/x/y", Errno.ENOENT)]                      // parent missing
    [InlineData("pids/a", Errno.EEXIST)]                        // a directory of that name
    [InlineData("pids", Errno.EEXIST)]                          // the scenario's cgroup itself
    [InlineData("pids/tasks", Errno.EEXIST)]                    // a core file of that name
    [InlineData("pids/pids.max", Errno.EEXIST)]                 // a controller file of that name
    [InlineData("pids/a/notify_on_release", Errno.EEXIST)]
    [InlineData("pids/a\nb", Errno.EINVAL)]                     // cgroup_mkdir(): no newline in a name
    [InlineData("pids/tasks/x", Errno.ENOTDIR)]                 // the parent is a file
    [InlineData("pids/tasks/x/y", Errno.ENOTDIR)]
    [InlineData("unified/pids.max", Errno.None)]                // pids is not on v2 here: just a name
    public void Mkdir_errors(string path, Errno errno)
    {
        var w = new CgroupWorld();
        w.Dir("pids/a");
        w.Out.Take();
        Assert.Equal(errno, w.Mkdir(path));
        if (errno != Errno.None)
        {
            Assert.Empty(w.Out.Take());
        }
    }

    [Fact]
    public void Max_descendants_counts_every_online_descendant_of_each_ancestor()
    {
        var w = new CgroupWorld(v1: []);
        Assert.Equal(Errno.None, w.Write("unified/cgroup.max.descendants", "2"));
        Assert.Equal("2\n", w.Text("unified/cgroup.max.descendants"));
        w.Dir("unified/a");
        w.Dir("unified/a/b");
        Assert.Equal(Errno.EAGAIN, w.Mkdir("unified/c"));
        Assert.Equal(Errno.EAGAIN, w.Mkdir("unified/a/b/c"));
        Assert.Equal(Errno.None, w.Rmdir("unified/a/b"));
        Assert.Equal(Errno.None, w.Mkdir("unified/c"));
        Assert.Equal(Errno.EAGAIN, w.Mkdir("unified/a/d"));

        Assert.Equal(Errno.None, w.Write("unified/a/cgroup.max.descendants", "0"));
        Assert.Equal(Errno.None, w.Write("unified/cgroup.max.descendants", "max"));
        Assert.Equal(Errno.EAGAIN, w.Mkdir("unified/a/d"));
        Assert.Equal(Errno.None, w.Mkdir("unified/c/d"));
    }

    [Fact]
    public void Max_depth_limits_the_levels_below_each_ancestor()
    {
        var w = new CgroupWorld(v1: []);
        Assert.Equal(Errno.None, w.Write("unified/cgroup.max.depth", "2"));
        w.Dir("unified/a");
        w.Dir("unified/a/b");
        Assert.Equal(Errno.EAGAIN, w.Mkdir("unified/a/b/c"));
        Assert.Equal(Errno.None, w.Write("unified/a/cgroup.max.depth", "0"));
        Assert.Equal(Errno.EAGAIN, w.Mkdir("unified/a/e"));
        Assert.Equal(Errno.None, w.Mkdir("unified/f"));
        Assert.Equal(Errno.None, w.Write("unified/cgroup.max.depth", "0"));
        Assert.Equal(Errno.EAGAIN, w.Mkdir("unified/g"));
    }

    [Theory]
    [InlineData("5", Errno.None, "5\n")]
    [InlineData(" 5\n", Errno.None, "5\n")]
    [InlineData("0x10", Errno.None, "16\n")]
    [InlineData("0", Errno.None, "0\n")]
    [InlineData("max", Errno.None, "max\n")]
    [InlineData("2147483647", Errno.None, "max\n")]
    [InlineData("-1", Errno.ERANGE, "max\n")]
    [InlineData("abc", Errno.EINVAL, "max\n")]
    [InlineData("", Errno.EINVAL, "max\n")]
    public void Max_descendants_and_max_depth_writes(string text, Errno errno, string shown)
    {
        foreach (var file in new[] { "cgroup.max.descendants", "cgroup.max.depth" })
        {
            var w = new CgroupWorld(v1: []);
            w.Dir("unified/a");
            Assert.Equal(errno, w.Write($"unified/a/{file}", text));
            Assert.Equal(shown, w.Text($"unified/a/{file}"));
        }
    }

    // Found as a model bug by these tests, fixed: cgroup_max_descendants_write() and
    // cgroup_max_depth_write() return kstrtoint()'s own error: an int overflow is ERANGE. CgroupCore.WriteFile maps
    // every kstrtoint() error to EINVAL.
    [Theory]
    [InlineData("cgroup.max.descendants")]
    [InlineData("cgroup.max.depth")]
    public void Max_descendants_and_max_depth_overflow_is_ERANGE(string file)
    {
        var w = new CgroupWorld(v1: []);
        Assert.Equal(Errno.ERANGE, w.Write($"unified/{file}", "2147483648"));
    }

    [Fact]
    public void Mkdir_inherits_notify_on_release_and_clone_children()
    {
        var w = new CgroupWorld();
        Assert.Equal(Errno.None, w.Write("pids/notify_on_release", "1"));
        Assert.Equal(Errno.None, w.Write("pids/cgroup.clone_children", "1"));
        w.Dir("pids/a");
        Assert.Equal("1\n", w.Text("pids/a/notify_on_release"));
        Assert.Equal("1\n", w.Text("pids/a/cgroup.clone_children"));
        Assert.Equal(Errno.None, w.Write("pids/a/notify_on_release", "0"));
        w.Dir("pids/a/b");
        Assert.Equal("0\n", w.Text("pids/a/b/notify_on_release"));
        Assert.Equal("1\n", w.Text("pids/a/b/cgroup.clone_children"));
    }

    [Fact]
    public void Rmdir_refuses_a_populated_cgroup_and_one_with_a_child()
    {
        var w = new CgroupWorld();
        w.Dir("pids/a");
        w.Dir("pids/b");
        w.Dir("pids/b/c");
        var p = w.Spawn(Init);
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.EBUSY, w.Rmdir("pids/a"));
        Assert.Equal(Errno.EBUSY, w.Rmdir("pids/b"));
        Assert.Equal(Errno.EBUSY, w.Rmdir("pids"));                      // init is there
        Assert.Equal(Errno.ENOENT, w.Rmdir("pids/nosuch"));
        Assert.Equal(Errno.ENOTDIR, w.Rmdir("pids/a/tasks"));
        Assert.Equal(Errno.None, w.Rmdir("pids/b/c"));
        Assert.Equal(Errno.None, w.Rmdir("pids/b"));
        Assert.Equal(Errno.ENOENT, w.Rmdir("pids/b"));
    }

    [Fact]
    public void Rmdir_of_a_populated_descendant_is_EBUSY_even_without_own_tasks()
    {
        var w = new CgroupWorld(v1: []);
        w.Dir("unified/a");
        w.Dir("unified/a/b");
        var p = w.Spawn(Init);
        Assert.Equal(Errno.None, w.Write("unified/a/b/cgroup.procs", $"{p}"));
        Assert.Equal("populated 1\nfrozen 0\n", w.Text("unified/a/cgroup.events"));
        Assert.Equal(Errno.EBUSY, w.Rmdir("unified/a"));
    }

    [Fact]
    public void Zombies_do_not_block_rmdir_and_the_removed_cgroup_lingers_until_the_last_is_released()
    {
        var w = new CgroupWorld();
        var a = w.Dir("pids/a");
        var p = w.Spawn(Init);
        var q = w.Spawn(Init);
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{q}"));
        w.Exit(p);
        w.Exit(q);
        w.Out.Take();

        Assert.Equal(Errno.None, w.Rmdir("pids/a"));
        Assert.False(a.Online);
        Assert.Empty(w.Out.Take());                                   // no stop: the zombies refer to it
        Assert.True(w.Out.HasActor(a));
        Assert.Equal(Errno.ENOENT, w.Read("pids/a/tasks").Errno);
        Assert.Same(a, w.Core.CgroupOf(p, w.H("pids")));
        Assert.Equal(2, w.PidsCurrent("pids") - 1);                    // the zombies stay charged above
        Assert.Equal(Errno.None, w.Mkdir("pids/a"));                   // the name is free again: a new cgroup
        Assert.NotSame(a, w.Cg("pids/a"));
        w.Out.Take();

        w.Release(p);
        Assert.Equal(["adjust pids:/a pids -1", "adjust pids:/ pids -1"], w.Out.Take());
        Assert.True(w.Out.HasActor(a));
        w.Release(q);
        Assert.Equal(["adjust pids:/a pids -1", "adjust pids:/ pids -1", "stop pids:/a"], w.Out.Take());
        Assert.False(w.Out.HasActor(a));
        Assert.True(w.Out.HasActor(w.Cg("pids/a")));
        Assert.Equal(1, w.PidsCurrent("pids"));
        w.CheckCharges();
    }

    [Fact]
    public void A_removed_parent_lingers_while_a_removed_child_holds_a_zombie()
    {
        var w = new CgroupWorld();
        var a = w.Dir("pids/a");
        var b = w.Dir("pids/a/b");
        var p = w.Spawn(Init);
        Assert.Equal(Errno.None, w.Write("pids/a/b/tasks", $"{p}"));
        w.Exit(p);
        Assert.Equal(Errno.None, w.Rmdir("pids/a/b"));
        Assert.Equal(Errno.None, w.Rmdir("pids/a"));
        w.Out.Take();
        Assert.Equal(0, w.H("pids").Top.NrDescendants);

        w.Release(p);
        Assert.Equal(["adjust pids:/a/b pids -1", "adjust pids:/a pids -1", "adjust pids:/ pids -1", "stop pids:/a/b", "stop pids:/a"], w.Out.Take());
        Assert.False(w.Out.HasActor(a));
        Assert.False(w.Out.HasActor(b));
    }

    [Fact]
    public void An_empty_cgroup_is_freed_at_rmdir()
    {
        var w = new CgroupWorld();
        w.Dir("pids/a");
        w.Out.Take();
        Assert.Equal(Errno.None, w.Rmdir("pids/a"));
        Assert.Equal(["stop pids:/a"], w.Out.Take());
    }

    [Fact]
    public void Paths_resolve_to_directories_and_files()
    {
        var w = new CgroupWorld();
        var a = w.Dir("pids/a");
        Assert.Equal((a, "pids.max", Errno.None), w.Core.Resolve(Path("pids/a/pids.max")));
        Assert.Equal((a, null, Errno.None), w.Core.Resolve(Path("pids/a")));
        Assert.Equal((null, null, Errno.ENOENT), w.Core.Resolve(Path("pids/a/nosuch")));
        Assert.Equal((null, null, Errno.ENOTDIR), w.Core.Resolve(Path("pids/a/tasks/x")));
        Assert.Equal((null, null, Errno.ENOENT), w.Core.Resolve(Path("nosuch/a")));
        Assert.Equal(Errno.ENOENT, w.Read("pids/a/cgroup.events").Errno);        // a v2 file on v1
        Assert.Equal(Errno.ENOENT, w.Read("unified/tasks").Errno);               // a v1 file on v2
        Assert.Equal(Errno.ENOENT, w.Read("unified/pids.max").Errno);            // pids is on v1
        Assert.Equal(Errno.EISDIR, w.Read("pids/a").Errno);
        Assert.Null(CgroupPath.Parse("/sys/fs/cgroup/"));
        Assert.Null(CgroupPath.Parse("/proc/1/status"));
        Assert.Equal("pids", CgroupPath.ParseReleaseAgentCalls("/actors/cgroup/pids/release_agent.calls"));
        Assert.Null(CgroupPath.ParseReleaseAgentCalls("/actors/cgroup/a/b/release_agent.calls"));
    }

    [Theory]
    [InlineData("pids/cgroup.procs", CgroupFileOp.Write, CgroupLockUse.Writer)]
    [InlineData("pids/tasks", CgroupFileOp.Write, CgroupLockUse.Writer)]
    [InlineData("unified/cgroup.subtree_control", CgroupFileOp.Write, CgroupLockUse.Writer)]
    [InlineData("unified/cgroup.max.depth", CgroupFileOp.Write, CgroupLockUse.Mutex)]
    [InlineData("unified/cgroup.max.descendants", CgroupFileOp.Write, CgroupLockUse.Mutex)]
    [InlineData("pids/a", CgroupFileOp.Mkdir, CgroupLockUse.Mutex)]
    [InlineData("pids/a", CgroupFileOp.Rmdir, CgroupLockUse.Mutex)]
    [InlineData("pids/cgroup.procs", CgroupFileOp.Read, CgroupLockUse.None)]
    [InlineData("pids/pids.max", CgroupFileOp.Write, CgroupLockUse.None)]
    [InlineData("pids/notify_on_release", CgroupFileOp.Write, CgroupLockUse.None)]
    public void Requests_take_the_locks_Linux_takes(string path, CgroupFileOp op, CgroupLockUse use)
    {
        Assert.Equal(use, CgroupCore.LockFor(op, Path(path).Components.LastOrDefault()));
    }
}
