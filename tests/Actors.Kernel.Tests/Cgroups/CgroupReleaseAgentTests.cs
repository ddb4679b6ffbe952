using Xunit;
using static Actors.Kernel.Tests.Cgroups.CgroupWorld;

namespace Actors.Kernel.Tests.Cgroups;

/// <summary>v1 notify_on_release and the release agent (cgroup-v1.c: cgroup1_check_for_release() on populated
/// transitions and on the removal of a child; cgroup_write_notify_on_release() through write_u64, i.e. kstrtoull without
/// stripping).</summary>
public class CgroupReleaseAgentTests
{
    private const string Agent = "/sbin/agent";

    private static string[] Calls(CgroupWorld w, string h = "pids") => [.. w.H(h).ReleaseAgentCalls];

    [Theory]
    [InlineData("1", "1\n")]
    [InlineData("1\n", "1\n")]
    [InlineData("2", "1\n")]
    [InlineData("0x0", "0\n")]
    [InlineData("+1", "1\n")]
    public void Notify_on_release_accepts_unsigned_numbers(string text, string shown)
    {
        var w = new CgroupWorld();
        w.Dir("pids/a");
        Assert.Equal(Errno.None, w.Write("pids/a/notify_on_release", text));
        Assert.Equal(shown, w.Text("pids/a/notify_on_release"));
    }

    [Theory]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("-1")]
    [InlineData("")]
    [InlineData("yes")]
    public void Notify_on_release_refuses_anything_else_unstripped(string text)
    {
        var w = new CgroupWorld();
        w.Dir("pids/a");
        Assert.Equal(Errno.EINVAL, w.Write("pids/a/notify_on_release", text));
        Assert.Equal(Errno.EINVAL, w.Write("pids/a/cgroup.clone_children", text));
        Assert.Equal("0\n", w.Text("pids/a/notify_on_release"));
    }

    [Fact]
    public void The_exit_that_empties_a_notifying_cgroup_calls_the_agent_with_its_path()
    {
        var w = new CgroupWorld(releaseAgent: Agent);
        w.Dir("pids/a");
        w.Dir("pids/a/b");
        Assert.Equal(Errno.None, w.Write("pids/a/b/notify_on_release", "1"));
        var p = w.Spawn(Init);
        var q = w.Spawn(Init);
        Assert.Equal(Errno.None, w.Write("pids/a/b/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.None, w.Write("pids/a/b/cgroup.procs", $"{q}"));
        w.Exit(p);
        Assert.Empty(Calls(w));                                     // q still there
        w.Exit(q);
        Assert.Equal(["/a/b"], Calls(w));
        Assert.Equal((Agent + " /a/b\n", Errno.None), w.Core.ReleaseAgentCalls("pids"));
        w.Release(p);
        w.Release(q);
        Assert.Equal(["/a/b"], Calls(w));                           // a reap changes nothing populated
    }

    [Fact]
    public void Without_an_agent_nothing_is_called()
    {
        var w = new CgroupWorld();
        w.Dir("pids/a");
        Assert.Equal(Errno.None, w.Write("pids/a/notify_on_release", "1"));
        var p = w.Spawn(Init);
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        w.Exit(p);
        Assert.Empty(Calls(w));
        Assert.Equal(("", Errno.None), w.Core.ReleaseAgentCalls("pids"));
    }

    [Fact]
    public void Without_notify_on_release_nothing_is_called()
    {
        var w = new CgroupWorld(releaseAgent: Agent);
        w.Dir("pids/a");
        var p = w.Spawn(Init);
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        w.Exit(p);
        Assert.Empty(Calls(w));
    }

    [Fact]
    public void A_migration_that_empties_a_notifying_cgroup_calls_the_agent_each_time()
    {
        var w = new CgroupWorld(releaseAgent: Agent);
        w.Dir("pids/a");
        Assert.Equal(Errno.None, w.Write("pids/a/notify_on_release", "1"));
        var p = w.Spawn(Init);
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.None, w.Write("pids/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.None, w.Write("pids/tasks", $"{p}"));
        Assert.Equal(["/a", "/a"], Calls(w));
    }

    [Fact]
    public void A_cgroup_with_an_online_child_is_not_released_until_the_child_is_removed()
    {
        var w = new CgroupWorld(releaseAgent: Agent);
        Assert.Equal(Errno.None, w.Write("pids/notify_on_release", "1"));   // inherited by a and a/b
        w.Dir("pids/a");
        w.Dir("pids/a/b");
        w.Dir("pids/a/c");
        var p = w.Spawn(Init);
        Assert.Equal(Errno.None, w.Write("pids/a/b/cgroup.procs", $"{p}"));
        w.Exit(p);
        Assert.Equal(["/a/b"], Calls(w));                            // a still has online children
        Assert.Equal(Errno.None, w.Rmdir("pids/a/c"));
        Assert.Equal(["/a/b"], Calls(w));                            // b is still online
        Assert.Equal(Errno.None, w.Rmdir("pids/a/b"));               // b lingers (zombie p) but is offline
        Assert.Equal(["/a/b", "/a"], Calls(w));
        Assert.Equal(Errno.None, w.Rmdir("pids/a"));
        Assert.Equal(["/a/b", "/a"], Calls(w));                      // the top is populated by init
    }

    [Fact]
    public void Only_the_hierarchy_whose_cgroup_emptied_calls_its_agent()
    {
        var w = new CgroupWorld(v1: ["pids", "cpu"], releaseAgent: Agent);
        w.Dir("pids/a");
        w.Dir("cpu/a");
        Assert.Equal(Errno.None, w.Write("cpu/a/notify_on_release", "1"));
        var p = w.Spawn(Init);
        Assert.Equal(Errno.None, w.Write("pids/a/cgroup.procs", $"{p}"));
        Assert.Equal(Errno.None, w.Write("cpu/a/cgroup.procs", $"{p}"));
        w.Exit(p);
        Assert.Empty(Calls(w, "pids"));
        Assert.Equal(["/a"], Calls(w, "cpu"));
    }

    [Fact]
    public void Release_agent_calls_exist_for_v1_hierarchies_only()
    {
        var w = new CgroupWorld(releaseAgent: Agent);
        Assert.Equal(Errno.ENOENT, w.Core.ReleaseAgentCalls("unified").Errno);
        Assert.Equal(Errno.ENOENT, w.Core.ReleaseAgentCalls("nosuch").Errno);
        Assert.Equal("", w.H("unified").ReleaseAgent);
        Assert.Equal(Agent, w.H("pids").ReleaseAgent);
        Assert.Equal(Errno.ENOENT, w.Read("unified/notify_on_release").Errno);
    }
}
