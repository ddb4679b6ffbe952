using Actors.Kernel.Pid;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Xunit;
using Xunit.Abstractions;
using static Actors.Kernel.Pid.PidMapProtocol;
using KernelPid = Actors.Kernel.Pid.Pid;

namespace Actors.Kernel.Specs;

/// <summary>Base of the specs that drive one kind of model actor directly: an actor system with test.conf (plus
/// optional HOCON) and a kernel context, but no kernel.</summary>
public abstract class ModelActorSpec : TestKit
{
    protected ModelActorSpec(ITestOutputHelper output, string hocon = "")
        : base(Akka.Configuration.ConfigurationFactory.ParseString(hocon)
            .WithFallback(KernelConfig.WithDefaults(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "test.conf")))), output: output)
    {
        Ctx = new KernelContext(KernelSettings.From(Sys.Settings.Config));
    }

    protected KernelContext Ctx { get; }
}

/// <summary>The pid map protocol (PidMapProtocol): one message is one hold of pidmap_lock on one namespace; a clone's
/// numbers are reserved level by level, made visible outermost first, and released innermost first.</summary>
public sealed class PidMapActorSpec : ModelActorSpec
{
    private readonly NsHandle _ns0;
    private readonly NsHandle _ns1;
    private readonly NsHandle _ns2;
    private readonly PidMap _map0;
    private readonly PidMap _map1;
    private readonly PidMap _map2;
    private readonly TestProbe _nsActor2;
    private readonly TestProbe _probe;
    private long _pidIds = 100;

    public PidMapActorSpec(ITestOutputHelper output) : base(output)
    {
        // ns0 with init (1) and one more pid (2), ns1 with its init (1), ns2 fresh: no pid, one reference (its nsproxy).
        _ns0 = new NsHandle(0, 0, null, initialRefs: 10);
        _ns1 = new NsHandle(1, 1, _ns0, initialRefs: 10);
        _ns2 = new NsHandle(2, 2, _ns1, initialRefs: 1);
        _map0 = new PidMap(_ns0, 32768);
        _map1 = new PidMap(_ns1, PidMap.PidMaxLimit);
        _map2 = new PidMap(_ns2, PidMap.PidMaxLimit);
        _map0.HasChildReaper = true;
        _map1.HasChildReaper = true;
        Visible(new KernelPid(++_pidIds, [new UPid(1, _ns0)]), _map0);
        Visible(new KernelPid(++_pidIds, [new UPid(2, _ns0), new UPid(1, _ns1)]), _map0, _map1);
        _nsActor2 = CreateTestProbe("ns2");
        _ns2.NsActor = _nsActor2;
        foreach (var (ns, map) in new[] { (_ns0, _map0), (_ns1, _map1), (_ns2, _map2) })
        {
            ns.PidMap = Sys.ActorOf(PidMapActor.Props(Ctx, map), $"pidmap{ns.Id}");
            Ctx.View.Register(new PidNamespace(ns), map);
        }
        _probe = CreateTestProbe("replies");
    }

    [Fact]
    public void PidMap_must_reserve_cyclic_and_requested_numbers_and_reply_to_the_sender()
    {
        _ns0.PidMap.Tell(new Reserve(1, null), _probe.Ref);
        _ns0.PidMap.Tell(new Reserve(2, 500), _probe.Ref);
        _ns0.PidMap.Tell(new Reserve(3, 500), _probe.Ref);
        _ns0.PidMap.Tell(new Reserve(4, 0), _probe.Ref);

        Assert.Equal(new Reserved(1, 3, Errno.None), _probe.ExpectMsg<Reserved>());
        Assert.Equal(new Reserved(2, 500, Errno.None), _probe.ExpectMsg<Reserved>());
        Assert.Equal(new Reserved(3, 0, Errno.EEXIST), _probe.ExpectMsg<Reserved>());
        Assert.Equal(new Reserved(4, 0, Errno.EINVAL), _probe.ExpectMsg<Reserved>());
        _ns2.PidMap.Tell(new Reserve(5, 7), _probe.Ref);    // ns2 has no init: only 1
        Assert.Equal(new Reserved(5, 0, Errno.EINVAL), _probe.ExpectMsg<Reserved>());
        AwaitAssert(() => Assert.Equal([1, 2, 3, 500], _map0.TakenNumbers));
        Assert.Equal(2, _map0.Count); // reserved numbers are not visible
    }

    [Fact]
    public void PidMap_must_commit_outermost_first_and_reply_Committed_from_the_innermost_level()
    {
        var pid = ReserveChain(corr: 7);

        _ns0.PidMap.Tell(new Commit(7, pid, 0, _probe.Ref), TestActor);

        Assert.Equal(new Committed(7, Errno.None), _probe.ExpectMsg<Committed>());
        ExpectNoMsg(TimeSpan.FromMilliseconds(50)); // nothing to the sender
        AwaitAssert(() =>
        {
            Assert.Same(pid, _map0.Find(3));
            Assert.Same(pid, _map1.Find(2));
            Assert.Same(pid, _map2.Find(1));
            Assert.Equal(2, _ns2.Refs); // get_pid_ns(): the pid holds its innermost namespace
            Assert.Equal(10, _ns1.Refs);
            Specifications.KernelInvariants.CheckStep(Ctx.View);
        });
    }

    [Fact]
    public void PidMap_must_forward_Commit_to_the_next_inner_level()
    {
        var pid = ReserveChain(corr: 8);
        var nextLevel = CreateTestProbe();
        _ns1.PidMap = nextLevel;

        _ns0.PidMap.Tell(new Commit(8, pid, 0, _probe.Ref));

        var forwarded = nextLevel.ExpectMsg<Commit>();
        Assert.Equal(new Commit(8, pid, 1, _probe.Ref), forwarded);
        Assert.Same(pid, _map0.Find(3));
        Assert.Null(_map2.Find(1));
        _probe.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void PidMap_must_fail_the_commit_ENOMEM_when_the_innermost_namespace_no_longer_adds()
    {
        var pid = ReserveChain(corr: 9);
        _ns2.PidMap.Tell(DisableAllocation.Instance);

        _ns0.PidMap.Tell(new Commit(9, pid, 0, _probe.Ref));

        Assert.Equal(new Committed(9, Errno.ENOMEM), _probe.ExpectMsg<Committed>());
        AwaitAssert(() =>
        {
            Assert.Same(pid, _map0.Find(3));   // the outer levels are visible,
            Assert.Same(pid, _map1.Find(2));
            Assert.True(_map2.IsTaken(1));     // the inner one only reserved
            Assert.Null(_map2.Find(1));
            Assert.Equal(1, _ns2.Refs);
        });

        // The clone's error path gives everything back.
        _ns2.PidMap.Tell(new Release(pid.Numbers, 2, 0, _probe.Ref, "released"));
        _probe.ExpectMsg("released");
        AwaitAssert(() => Assert.Equal([1, 2], _map0.TakenNumbers));
        Assert.Equal([1], _map1.TakenNumbers);
        Assert.Empty(_map2.TakenNumbers);
        _nsActor2.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void PidMap_must_release_innermost_to_outermost_then_notify_and_put_the_namespace()
    {
        var pid = CommitChain(corr: 10);
        _ns2.Put(); // the nsproxy goes: only the pid keeps ns2 alive

        _ns2.PidMap.Tell(new Release(pid.Numbers, 2, 0, _probe.Ref, "freed"));

        _probe.ExpectMsg("freed");
        Assert.Null(_map2.Find(1));
        Assert.Null(_map1.Find(2));
        Assert.False(_map0.IsTaken(3));
        Assert.Equal(2, _map0.Count);
        Assert.Equal(1, _map1.Count);
        _nsActor2.ExpectMsg<PidNsProtocol.Destroy>(); // put_pid_ns(): the last reference
        Assert.True(_ns2.Destroyed);
    }

    [Fact]
    public void PidMap_must_forward_Release_outward_only_after_freeing_its_own_number()
    {
        var pid = CommitChain(corr: 11);
        var outerLevel = CreateTestProbe();
        _ns0.PidMap = outerLevel;

        _ns2.PidMap.Tell(new Release(pid.Numbers, 2, 0, _probe.Ref, "freed"));

        var forwarded = outerLevel.ExpectMsg<Release>();
        Assert.Equal(0, forwarded.Level);
        Assert.Equal(0, forwarded.StopLevel);
        Assert.Same(_probe.Ref, forwarded.NotifyTo);
        Assert.Equal("freed", forwarded.Then);
        Assert.Null(_map2.Find(1));
        Assert.Null(_map1.Find(2));
        Assert.Same(pid, _map0.Find(3));
        _probe.ExpectNoMsg(TimeSpan.FromMilliseconds(50)); // only the outermost level notifies
    }

    [Fact]
    public void PidMap_must_stop_a_Release_at_StopLevel_and_reset_a_fresh_innermost_cursor()
    {
        // A clone whose level-0 reservation failed: ns2 and ns1 hold reserved numbers, ns0 none of this clone's.
        _ns2.PidMap.Tell(new Reserve(1, null), _probe.Ref);
        var nr2 = _probe.ExpectMsg<Reserved>().Nr;
        _ns1.PidMap.Tell(new Reserve(2, null), _probe.Ref);
        var nr1 = _probe.ExpectMsg<Reserved>().Nr;
        UPid[] numbers = [new UPid(0, _ns0), new UPid(nr1, _ns1), new UPid(nr2, _ns2)];

        _ns2.PidMap.Tell(new Release(numbers, 2, 1, _probe.Ref, "undone"));

        _probe.ExpectMsg("undone");
        AwaitAssert(() => Assert.Empty(_map2.TakenNumbers));
        Assert.Equal([1], _map1.TakenNumbers);
        Assert.Equal(0, _map2.Cursor);   // the namespace's first pid failed: the next try gets 1 again
        Assert.Equal(3, _map1.Cursor);   // an outer level keeps its cursor
        Assert.Equal([1, 2], _map0.TakenNumbers);
        Assert.Equal(1, _ns2.Refs);
        _nsActor2.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void PidMap_must_not_notify_a_Release_without_NotifyTo()
    {
        var pid = CommitChain(corr: 12);

        _ns2.PidMap.Tell(new Release(pid.Numbers, 2, 0, null, "never"), _probe.Ref);

        AwaitAssert(() => Assert.False(_map0.IsTaken(3)));
        _probe.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void PidMap_must_declare_the_namespace_dead_when_its_first_pid_is_freed()
    {
        var pid = CommitChain(corr: 13);
        _ns2.PidMap.Tell(new Release(pid.Numbers, 2, 0, _probe.Ref, "freed"));
        _probe.ExpectMsg("freed");

        AwaitAssert(() =>
        {
            Assert.False(_map2.Adding);
            Assert.Equal(1, _ns2.Refs);                    // the pid's reference went, the nsproxy's stays
        });
        var again = ReserveChain(corr: 14);
        _ns0.PidMap.Tell(new Commit(14, again, 0, _probe.Ref));
        Assert.Equal(new Committed(14, Errno.ENOMEM), _probe.ExpectMsg<Committed>());
    }

    [Fact]
    public void PidMap_must_answer_NotifyWhenCount_at_once_or_at_the_release_that_reaches_the_count()
    {
        var pid = CommitChain(corr: 15);

        _ns0.PidMap.Tell(new NotifyWhenCount(3, _probe.Ref, "three"));
        _probe.ExpectMsg("three");
        _ns0.PidMap.Tell(new NotifyWhenCount(1, _probe.Ref, "only init"));
        _probe.ExpectNoMsg(TimeSpan.FromMilliseconds(50));

        _ns2.PidMap.Tell(new Release(pid.Numbers, 2, 0, null, null));
        _probe.ExpectNoMsg(TimeSpan.FromMilliseconds(50));   // count 2
        _ns0.PidMap.Tell(new Release([new UPid(2, _ns0)], 0, 0, null, null));
        _probe.ExpectMsg("only init");
        _ns0.PidMap.Tell(new Reserve(16, null), _probe.Ref);
        _probe.ExpectMsg<Reserved>();
        _probe.ExpectNoMsg(TimeSpan.FromMilliseconds(50));   // a waiter is answered once
    }

    [Fact]
    public void PidMap_must_accept_set_tid_other_than_1_only_after_SetChildReaper()
    {
        _ns2.PidMap.Tell(new Reserve(1, 5), _probe.Ref);
        Assert.Equal(Errno.EINVAL, _probe.ExpectMsg<Reserved>().Errno);

        _ns2.PidMap.Tell(SetChildReaper.Instance);
        _ns2.PidMap.Tell(new Reserve(2, 5), _probe.Ref);

        Assert.Equal(new Reserved(2, 5, Errno.None), _probe.ExpectMsg<Reserved>());
    }

    [Fact]
    public void PidMap_must_read_and_write_ns_last_pid_and_pid_max()
    {
        Reply(new Sysctl(1, PidSysctl.NsLastPid, null), new SysctlResult(1, -1, Errno.None));   // set_tid only so far
        Reply(new Sysctl(2, PidSysctl.NsLastPid, 99), new SysctlResult(2, 0, Errno.None));
        Reply(new Sysctl(3, PidSysctl.NsLastPid, null), new SysctlResult(3, 99, Errno.None));
        Reply(new Sysctl(4, PidSysctl.NsLastPid, -1), new SysctlResult(4, 0, Errno.EINVAL));
        Reply(new Sysctl(5, PidSysctl.NsLastPid, 32769), new SysctlResult(5, 0, Errno.EINVAL));
        Reply(new Sysctl(6, PidSysctl.PidMax, null), new SysctlResult(6, 32768, Errno.None));
        Reply(new Sysctl(7, PidSysctl.PidMax, 300), new SysctlResult(7, 0, Errno.EINVAL));   // 2 CPUs: min 301
        Reply(new Sysctl(8, PidSysctl.PidMax, 4194305), new SysctlResult(8, 0, Errno.EINVAL));
        Reply(new Sysctl(9, PidSysctl.PidMax, 301), new SysctlResult(9, 0, Errno.None));
        Reply(new Sysctl(10, PidSysctl.PidMax, null), new SysctlResult(10, 301, Errno.None));
        Reply(new Sysctl(11, PidSysctl.NsLastPid, null), new SysctlResult(11, 99, Errno.None));

        _ns0.PidMap.Tell(new Reserve(12, null), _probe.Ref);
        Assert.Equal(new Reserved(12, 100, Errno.None), _probe.ExpectMsg<Reserved>());
        _ns2.PidMap.Tell(new Sysctl(13, PidSysctl.NsLastPid, null), _probe.Ref);
        Assert.Equal(new SysctlResult(13, -1, Errno.None), _probe.ExpectMsg<SysctlResult>()); // a fresh namespace
    }

    private void Reply(Sysctl request, SysctlResult expected)
    {
        _ns0.PidMap.Tell(request, _probe.Ref);
        Assert.Equal(expected, _probe.ExpectMsg<SysctlResult>());
    }

    /// <summary>Reserves one cyclic number per level, innermost first as alloc_pid() does (the first time: ns2 1,
    /// ns1 2, ns0 3), and returns the pid they make.</summary>
    private KernelPid ReserveChain(long corr)
    {
        var numbers = new UPid[3];
        foreach (var ns in new[] { _ns2, _ns1, _ns0 })
        {
            ns.PidMap.Tell(new Reserve(corr, null), _probe.Ref);
            var r = _probe.ExpectMsg<Reserved>();
            Assert.Equal(new Reserved(corr, r.Nr, Errno.None), r);
            numbers[ns.Level] = new UPid(r.Nr, ns);
        }
        return new KernelPid(++_pidIds, [.. numbers]);
    }

    private KernelPid CommitChain(long corr)
    {
        var pid = ReserveChain(corr);
        _ns0.PidMap.Tell(new Commit(corr, pid, 0, _probe.Ref));
        Assert.Equal(new Committed(corr, Errno.None), _probe.ExpectMsg<Committed>());
        return pid;
    }

    private static void Visible(KernelPid pid, params PidMap[] maps)
    {
        foreach (var map in maps)
        {
            var nr = pid.Numbers[map.Ns.Level].Nr;
            Assert.Equal(Errno.None, map.Reserve(nr, out _));
            Assert.Equal(Errno.None, map.Commit(nr, pid, innermost: map.Ns.Level == pid.Level));
        }
    }
}
