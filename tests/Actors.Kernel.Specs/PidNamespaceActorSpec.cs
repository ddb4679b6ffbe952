using Actors.Kernel.Pid;
using Actors.Kernel.Tasks;
using Akka.Actor;
using Xunit;
using Xunit.Abstractions;
using static Actors.Kernel.Pid.PidNsProtocol;
using static Actors.Kernel.Specs.SyscallHelpers;

namespace Actors.Kernel.Specs;

/// <summary>The pid namespace protocol (PidNsProtocol): create_pid_namespace() as CreateChild, its ENOSPC limits, and
/// destruction when the last reference is put. The root namespace is built by hand (no kernel, not counted against
/// max-pid-namespaces); the limits come from configuration.</summary>
public sealed class PidNamespaceActorSpec : ModelActorSpec
{
    private readonly NsHandle _root;
    private readonly IActorRef _rootActor;

    public PidNamespaceActorSpec(ITestOutputHelper output)
        : base(output, "actors.kernel { max-pid-ns-level = 2, max-pid-namespaces = 3 }")
    {
        _root = new NsHandle(Ctx.NewNsId(), 0, null, initialRefs: 1);
        _rootActor = Sys.ActorOf(PidNamespaceActor.Props(Ctx, _root, new PidMap(_root, 32768), ActorRefs.Nobody, 0), "ns0");
        AwaitCondition(() => !_root.PidMap.IsNobody());
    }

    [Fact]
    public void PidNamespace_must_read_its_limits_from_configuration()
    {
        Assert.Equal(2, Ctx.Settings.MaxPidNsLevel);
        Assert.Equal(3, Ctx.Settings.MaxPidNamespaces);
        Assert.Same(_rootActor, _root.NsActor);
    }

    [Fact]
    public void PidNamespace_must_create_a_child_one_level_down_with_its_actors_and_one_reference()
    {
        var child = Create(_rootActor, 7);

        Assert.Equal(1, child.Level);
        Assert.Same(_root, child.Parent);
        Assert.NotEqual(_root.Id, child.Id);
        Assert.Equal(1, child.Refs);                       // the requester's (its nsproxy)
        Assert.Equal(2, _root.Refs);                       // the child's reference on its parent
        Assert.Equal(_rootActor.Path, child.NsActor.Path.Parent);
        Assert.Equal(child.NsActor.Path / "pidmap", child.PidMap.Path);
        var map = Ctx.View.PidMapOf(child);
        Assert.NotNull(map);
        Assert.Equal(PidMap.PidMaxLimit, map.PidMax);      // a child namespace's default pid_max
        Assert.Equal(0, map.Cursor);
        Assert.True(map.Adding);
        Assert.False(map.HasChildReaper);
        Assert.Equal([child], Ctx.View.Namespaces.Single(n => n.Handle == _root).Children);

        child.PidMap.Tell(new PidMapProtocol.Reserve(1, null), TestActor);
        Assert.Equal(new PidMapProtocol.Reserved(1, 1, Errno.None), ExpectMsg<PidMapProtocol.Reserved>());

        var grandchild = Create(child.NsActor, 8);
        Assert.Equal(2, grandchild.Level);
        Assert.Same(child, grandchild.Parent);
        Assert.Equal(2, child.Refs);
        Assert.Equal(child.NsActor.Path, grandchild.NsActor.Path.Parent);
    }

    [Fact]
    public void PidNamespace_must_refuse_ENOSPC_beyond_max_pid_ns_level()
    {
        var level1 = Create(_rootActor, 1);
        var level2 = Create(level1.NsActor, 2);

        level2.NsActor.Tell(new CreateChild(3), TestActor);

        Assert.Equal(new ChildCreated(3, null, Errno.ENOSPC), ExpectMsg<ChildCreated>());
        Assert.Equal(1, level2.Refs);
        Assert.Equal(3, Ctx.View.Namespaces.Count);
        Assert.Empty(Ctx.View.Namespaces.Single(n => n.Handle == level2).Children);
    }

    [Fact]
    public void PidNamespace_must_refuse_ENOSPC_beyond_max_pid_namespaces_until_one_is_destroyed()
    {
        var created = Enumerable.Range(1, 3).Select(i => Create(_rootActor, i)).ToArray();

        _rootActor.Tell(new CreateChild(4), TestActor);
        Assert.Equal(new ChildCreated(4, null, Errno.ENOSPC), ExpectMsg<ChildCreated>());
        Assert.Equal(4, _root.Refs);

        Watch(created[1].NsActor);
        created[1].Put();
        ExpectTerminated(created[1].NsActor);

        Assert.Equal(1, Create(_rootActor, 5).Level);
    }

    [Fact]
    public void PidNamespace_must_stop_with_its_pid_map_when_its_last_reference_is_put()
    {
        var child = Create(_rootActor, 1);
        var watcher = CreateTestProbe();
        watcher.Watch(child.NsActor);
        watcher.Watch(child.PidMap);

        child.Put();

        var gone = new[] { watcher.ExpectMsg<Terminated>().ActorRef, watcher.ExpectMsg<Terminated>().ActorRef };
        Assert.Contains(child.NsActor, gone);
        Assert.Contains(child.PidMap, gone);
        Assert.True(child.Destroyed);
        Assert.Null(Ctx.View.PidMapOf(child));
        AwaitAssert(() => Assert.Equal(1, _root.Refs));    // ChildGone dropped the child's reference on the parent
        AwaitAssert(() => Assert.Empty(Ctx.View.Namespaces.Single(n => n.Handle == _root).Children));
    }

    [Fact]
    public void PidNamespace_must_outlive_its_creator_reference_while_a_child_namespace_holds_it()
    {
        var parent = Create(_rootActor, 1);
        var child = Create(parent.NsActor, 2);
        var watcher = CreateTestProbe();
        watcher.Watch(parent.NsActor);
        watcher.Watch(child.NsActor);

        parent.Put();
        watcher.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.False(parent.Destroyed);
        Assert.Equal(1, parent.Refs);

        child.Put();
        Assert.Equal(child.NsActor, watcher.ExpectMsg<Terminated>().ActorRef);
        Assert.Equal(parent.NsActor, watcher.ExpectMsg<Terminated>().ActorRef);
        Assert.True(parent.Destroyed);
        AwaitAssert(() => Assert.Equal(1, _root.Refs));
        Assert.Single(Ctx.View.Namespaces);
    }

    [Fact]
    public void PidNamespace_must_outlive_its_creator_reference_while_a_pid_holds_it()
    {
        var child = Create(_rootActor, 1);
        Watch(child.NsActor);

        child.Get();   // alloc_pid(): get_pid_ns()
        child.Put();   // the nsproxy goes
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.NotNull(Ctx.View.PidMapOf(child));

        child.Put();   // free_pid() -> put_pid()
        ExpectTerminated(child.NsActor);
    }

    private NsHandle Create(IActorRef parent, long corr)
    {
        parent.Tell(new CreateChild(corr), TestActor);
        var reply = ExpectMsg<ChildCreated>();
        Assert.Equal(corr, reply.Corr);
        Assert.Equal(Errno.None, reply.Errno);
        Assert.NotNull(reply.Child);
        Assert.False(reply.Child.NsActor.IsNobody());
        Assert.False(reply.Child.PidMap.IsNobody());
        return reply.Child;
    }
}

/// <summary>The namespace limits end to end, through clone and unshare on a kernel configured with small limits.</summary>
public sealed class NamespaceLimitSpec(ITestOutputHelper output)
    : KernelSpec(output, "actors.kernel.max-pid-ns-level = 2")
{
    [Fact]
    public void Clone_and_unshare_must_fail_ENOSPC_below_max_pid_ns_level_without_leaking()
    {
        var a = Fork(Init);
        var n = Fork(a, Clone(CloneFlags.CLONE_NEWPID));
        var m = Fork(n, Clone(CloneFlags.CLONE_NEWPID));
        Assert.Equal(2, m.Pid.Level);

        Assert.Equal(Errno.ENOSPC, Err(Call(m, Clone(CloneFlags.CLONE_NEWPID))));
        Assert.Equal(Errno.ENOSPC, Err(Call(m, new Calls.Unshare(CloneFlags.CLONE_NEWPID))));
        Assert.Equal(2, Ok(Call(m, new Calls.Fork())));         // m's own namespace still works
        AssertHealthy();
        Assert.Equal(3, Ctx.View.Namespaces.Count);
    }
}

/// <summary>max-pid-namespaces counts the namespaces created besides the initial one (hocon/reference.conf;
/// Linux: inc_pid_namespaces() is called only by create_pid_namespace(), never for init_pid_ns).</summary>
public sealed class NamespaceCountSpec(ITestOutputHelper output)
    : KernelSpec(output, "actors.kernel.max-pid-namespaces = 2")
{
    [Fact]
    public void Clone_must_create_max_pid_namespaces_namespaces_besides_the_initial_one()
    {
        var a = Fork(Init);

        Fork(a, Clone(CloneFlags.CLONE_NEWPID));
        Fork(a, Clone(CloneFlags.CLONE_NEWPID));

        Assert.Equal(Errno.ENOSPC, Err(Call(a, Clone(CloneFlags.CLONE_NEWPID))));
        AssertHealthy();
    }

    [Fact]
    public void Clone_must_fail_ENOSPC_once_max_pid_namespaces_are_in_use()
    {
        var a = Fork(Init);
        var created = 0;
        Errno last;
        while ((last = Call(a, Clone(CloneFlags.CLONE_NEWPID)).Errno) == Errno.None)
        {
            created++;
            Assert.True(created <= 2, "more namespaces than max-pid-namespaces");
        }

        Assert.Equal(Errno.ENOSPC, last);
        Assert.True(created >= 1);
        AssertHealthy();
    }
}
