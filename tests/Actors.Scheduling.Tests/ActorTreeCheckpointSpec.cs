using Akka.Actor;

namespace Actors.Scheduling.Tests;

/// <summary><see cref="ActorTreeCheckpoint"/> on a tree of <see cref="TreeActor"/>s under the controlled host: taken at
/// quiescence, the tree changed by more messages, then restored (or refused).</summary>
public sealed class ActorTreeCheckpointSpec
{
    [Fact]
    public void TryRestore_must_stop_actors_made_since_and_bring_back_the_state_of_the_tree()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        var a = Spawn(sys, parent, "a");
        var b = Spawn(sys, parent, "b");
        Run(sys, parent, TreeActor.Bump.Instance);
        Run(sys, a, TreeActor.Bump.Instance);
        var before = (Parent: Report(sys, parent), A: Report(sys, a), B: Report(sys, b));
        Assert.Equal(3, before.Parent.Counter);
        Assert.Equal(["created", "spawned a", "spawned b", "bump"], before.Parent.Log);
        Assert.Equal(["a", "b"], before.Parent.Children);
        Assert.Equal(1, before.A.Counter);
        Assert.Equal(["created", "bump"], before.A.Log);

        var checkpoint = ActorTreeCheckpoint.Take(sys.Controller, parent);

        // New children of the root and of a checkpointed child, a grandchild under a new child, and more state.
        var c = Spawn(sys, parent, "c");
        var d = Spawn(sys, parent, "d");
        var ga = Spawn(sys, a, "ga");
        var gc = Spawn(sys, c, "gc");
        Run(sys, parent, TreeActor.Bump.Instance);
        Run(sys, a, TreeActor.Bump.Instance);
        Run(sys, b, TreeActor.Bump.Instance);
        Assert.Equal(["a", "b", "c", "d"], Report(sys, parent).Children);
        Assert.Equal(6, Report(sys, parent).Counter);
        Assert.Equal(["ga"], Report(sys, a).Children);

        Assert.True(checkpoint.TryRestore());

        Assert.Equal(0, sys.Controller.PendingCount);
        Assert.All([c, d, ga, gc], r => Assert.True(IsStopped(r), $"{r.Path} still alive"));
        Assert.All([parent, a, b], r => Assert.False(IsStopped(r), $"{r.Path} stopped"));
        var after = (Parent: Report(sys, parent), A: Report(sys, a), B: Report(sys, b));
        Assert.Equal(before, after);

        // The names of the stopped actors are free again, and the tree keeps working from the checkpoint.
        var c2 = Spawn(sys, parent, "c");
        var ga2 = Spawn(sys, a, "ga");
        Assert.NotSame(c, c2);
        Assert.Equal(["a", "b", "c"], Report(sys, parent).Children);
        Assert.Equal(["ga"], Report(sys, a).Children);
        var resumed = Report(sys, parent);
        Assert.Equal(4, resumed.Counter);
        Assert.Equal(["created", "spawned a", "spawned b", "bump", "spawned c"], resumed.Log);
        Run(sys, c2, TreeActor.Bump.Instance);
        Assert.Equal(1, Report(sys, c2).Counter);
        Assert.Equal(["created", "bump"], Report(sys, c2).Log);

        // The same checkpoint restores again.
        Assert.True(checkpoint.TryRestore());
        Assert.True(IsStopped(c2));
        Assert.True(IsStopped(ga2));
        Assert.Equal(before, (Report(sys, parent), Report(sys, a), Report(sys, b)));
        Assert.False(sys.Controller.Tainted);
    }

    [Fact]
    public void TryRestore_must_restore_state_when_no_actor_was_made_since()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        var a = Spawn(sys, parent, "a");
        var shared = new List<int> { 1 };
        var checkpoint = ActorTreeCheckpoint.Take(sys.Controller, parent, shared);
        var steps = sys.Controller.TotalSteps;

        Run(sys, parent, TreeActor.Bump.Instance);
        Run(sys, a, TreeActor.Bump.Instance);
        shared.Add(2);
        var ran = sys.Controller.TotalSteps;

        Assert.True(checkpoint.TryRestore());

        Assert.Equal(ran, sys.Controller.TotalSteps); // nothing to stop, nothing run
        Assert.Equal(1, Report(sys, parent).Counter);
        Assert.Equal(0, Report(sys, a).Counter);
        Assert.Equal([1], shared); // the extra roots are restored too
        Assert.True(ran > steps);
    }

    [Fact]
    public void TryRestore_must_bring_back_a_stopped_actor_with_its_checkpointed_state_at_a_new_ref()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        var a = Spawn(sys, parent, "a");
        var b = Spawn(sys, parent, "b");
        var ga = Spawn(sys, a, "ga");
        Run(sys, a, TreeActor.Bump.Instance);
        Run(sys, ga, TreeActor.Bump.Instance);
        // Refs to a and ga in the state of other actors: a field, a list, and the entries (structs) of a dictionary.
        Run(sys, parent, new TreeActor.Remember(a));
        Run(sys, parent, new TreeActor.Remember(ga));
        Run(sys, b, new TreeActor.Remember(a));
        Run(sys, ga, new TreeActor.Remember(a)); // a child's ref to its parent: both come back
        var before = (Parent: Report(sys, parent), A: Report(sys, a), B: Report(sys, b), GA: Report(sys, ga));
        var checkpoint = ActorTreeCheckpoint.Take(sys.Controller, parent);

        Run(sys, a, TreeActor.Bump.Instance);
        Run(sys, parent, new TreeActor.StopChild("a")); // ga stops with it
        var c = Spawn(sys, parent, "c");
        Assert.True(IsStopped(a));
        Assert.True(IsStopped(ga));

        Assert.True(checkpoint.TryRestore());

        Assert.Equal(2, checkpoint.Revived);
        Assert.Equal(0, sys.Controller.PendingCount);
        Assert.True(IsStopped(c));
        var a2 = Child(sys, parent, "a");
        var ga2 = Child(sys, a2, "ga");
        Assert.False(IsStopped(a2));
        Assert.False(IsStopped(ga2));
        Assert.NotEqual(a, a2); // the same path, a new UID
        Assert.Equal(a.Path.ToStringWithoutAddress(), a2.Path.ToStringWithoutAddress());
        var after = (Parent: Report(sys, parent), A: Report(sys, a2), B: Report(sys, b), GA: Report(sys, ga2));
        Assert.Equal(before, after);
        // Every ref the checkpoint held to a and ga is the new one.
        Assert.All(after.Parent.Remembered.Take(1).Concat(after.B.Remembered).Concat(after.GA.Remembered), r => Assert.Equal(a2, r));
        Assert.Equal([a2, ga2, a2, ga2, ga2], after.Parent.Remembered);

        // The revived actors receive messages at their new refs, sent through the rewritten refs too.
        Run(sys, b, new TreeActor.TellRemembered(TreeActor.Bump.Instance));
        Run(sys, parent, new TreeActor.TellRemembered(TreeActor.Bump.Instance));
        var a2Report = Report(sys, a2);
        Assert.Equal(before.A.Counter + 2, a2Report.Counter); // once from b, once from the parent
        Assert.Equal(before.GA.Counter + 1, Report(sys, ga2).Counter);
        Assert.Equal(["ga"], a2Report.Children);
        Assert.Empty(sys.Controller.Pending);
        Assert.False(sys.Controller.Tainted);
    }

    [Fact]
    public void TryRestore_must_bring_back_an_actor_stopped_again_after_each_restore()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        var a = Spawn(sys, parent, "a");
        var b = Spawn(sys, parent, "b");
        Spawn(sys, a, "ga");
        Run(sys, a, TreeActor.Bump.Instance);
        Run(sys, parent, new TreeActor.Remember(a));
        Run(sys, b, new TreeActor.Remember(a));
        var before = (Parent: Report(sys, parent), A: Report(sys, a), B: Report(sys, b));
        var checkpoint = ActorTreeCheckpoint.Take(sys.Controller, parent);
        var seen = new HashSet<IActorRef> { a };

        for (var round = 0; round < 25; round++)
        {
            var current = Child(sys, parent, "a");
            Run(sys, current, TreeActor.Bump.Instance);
            if (round % 3 != 2)
            {
                Run(sys, parent, new TreeActor.StopChild("a")); // two rounds in three stop it, one leaves it alive
                Assert.True(IsStopped(current));
                if (round % 4 == 1)
                {
                    Spawn(sys, parent, "a"); // and a new actor takes its name: stopped by the restore
                }
            }

            Assert.True(checkpoint.TryRestore(), $"round {round}");

            var revived = Child(sys, parent, "a");
            Assert.False(IsStopped(revived));
            seen.Add(revived);
            Assert.Equal(before, (Report(sys, parent), Report(sys, revived), Report(sys, b)));
            Assert.Equal([revived, revived, revived], Report(sys, parent).Remembered);
            Assert.Equal([revived, revived, revived], Report(sys, b).Remembered);
            Run(sys, b, new TreeActor.TellRemembered(TreeActor.Bump.Instance));
            Assert.Equal(before.A.Counter + 1, Report(sys, revived).Counter);
            Assert.Equal(["ga"], Report(sys, revived).Children);
        }

        Assert.Equal(1 + 17, seen.Count); // a, and a new ref for each of the 17 rounds that stopped it
        Assert.Equal(17 * 2, checkpoint.Revived);
        Assert.False(sys.Controller.Tainted);
    }

    [Fact]
    public void TryRestore_must_refuse_when_a_stopped_actor_was_watched()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        var watched = Spawn(sys, parent, "watched", watch: true);
        Spawn(sys, parent, "b");
        var checkpoint = ActorTreeCheckpoint.Take(sys.Controller, parent);

        Run(sys, parent, TreeActor.Bump.Instance);
        Run(sys, parent, new TreeActor.StopChild("watched"));
        var c = Spawn(sys, parent, "c");
        Assert.True(IsStopped(watched));

        // A new cell would not be watched: refused, and nothing changed.
        Assert.False(checkpoint.TryRestore());

        var report = Report(sys, parent);
        Assert.Equal(["created", "spawned watched", "spawned b", "bump", "stopped watched", "terminated watched", "spawned c"], report.Log);
        Assert.Equal(["b", "c"], report.Children);
        Assert.False(IsStopped(c));
    }

    [Fact]
    public void TryRestore_must_refuse_when_a_stopped_actor_is_a_key_of_the_checkpointed_state()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        var a = Spawn(sys, parent, "a");
        var b = Spawn(sys, parent, "b");
        // A new ref hashes differently: the dictionary would not find it. b is a value only: it could come back.
        var byRef = new Dictionary<IActorRef, IActorRef> { [a] = b };
        var checkpoint = ActorTreeCheckpoint.Take(sys.Controller, parent, byRef);

        Run(sys, parent, new TreeActor.StopChild("b"));
        Assert.True(checkpoint.TryRestore());
        var b2 = Child(sys, parent, "b");
        Assert.Equal(b2, byRef[a]);

        Run(sys, parent, new TreeActor.StopChild("a"));
        Assert.False(checkpoint.TryRestore());
        Assert.True(IsStopped(a));
    }

    [Fact]
    public void TryRestore_must_restore_after_the_work_that_stopping_new_actors_causes()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        var before = Report(sys, parent);
        var checkpoint = ActorTreeCheckpoint.Take(sys.Controller, parent);

        var watched = Spawn(sys, parent, "watched", watch: true);

        Assert.True(checkpoint.TryRestore());

        // The parent handled the Terminated of its new child during the restore (its log said so), then its state was
        // written back.
        Assert.True(IsStopped(watched));
        Assert.Equal(before, Report(sys, parent));
        Assert.Equal(0, sys.Controller.PendingCount);
    }

    [Fact]
    public void TryRestore_must_refuse_when_stopping_new_actors_restarts_a_checkpointed_one()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        Run(sys, parent, TreeActor.Bump.Instance);
        var checkpoint = ActorTreeCheckpoint.Take(sys.Controller, parent);

        // The parent throws on the Terminated of this child: stopping it restarts the parent (the host's default
        // strategy), whose new instance the checkpoint's heap does not reach.
        var fatal = Spawn(sys, parent, "fatal", watch: true);
        Run(sys, parent, TreeActor.Bump.Instance);

        Assert.False(checkpoint.TryRestore());

        Assert.True(IsStopped(fatal));
        Assert.False(IsStopped(parent));
        var report = Report(sys, parent);
        Assert.Equal(0, report.Counter); // the restarted instance's, not the checkpoint's 1
        Assert.Equal(["created"], report.Log);
    }

    [Fact]
    public void TryRestore_must_refuse_when_the_root_stopped()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        var checkpoint = ActorTreeCheckpoint.Take(sys.Controller, parent);

        sys.Host.Stop(parent);

        Assert.True(IsStopped(parent));
        Assert.False(checkpoint.TryRestore());
    }

    [Fact]
    public void TryRestore_must_refuse_when_a_checkpointed_actor_was_restarted()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        var a = Spawn(sys, parent, "a");
        Run(sys, a, TreeActor.Bump.Instance);
        var checkpoint = ActorTreeCheckpoint.Take(sys.Controller, parent);

        Run(sys, a, TreeActor.Fail.Instance); // the default strategy restarts it: a new instance
        Assert.False(IsStopped(a));
        Assert.Equal(0, Report(sys, a).Counter);

        Assert.False(checkpoint.TryRestore());
    }

    [Fact]
    public void TryRestore_must_refuse_while_work_is_parked_and_change_nothing()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        var checkpoint = ActorTreeCheckpoint.Take(sys.Controller, parent);
        var c = Spawn(sys, parent, "c");
        Run(sys, parent, TreeActor.Bump.Instance);

        parent.Tell(TreeActor.Bump.Instance); // parked: the controller does not run it
        Assert.Equal(1, sys.Controller.PendingCount);

        Assert.False(checkpoint.TryRestore());

        Assert.Equal(1, sys.Controller.PendingCount);
        Assert.False(IsStopped(c));
        sys.Controller.RunToQuiescence();
        Assert.Equal(3, Report(sys, parent).Counter);

        // At quiescence again, it restores.
        Assert.True(checkpoint.TryRestore());
        Assert.True(IsStopped(c));
        Assert.Equal(0, Report(sys, parent).Counter);
    }

    [Fact]
    public void TryRestore_must_refuse_while_the_controller_is_tainted()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        var checkpoint = ActorTreeCheckpoint.Take(sys.Controller, parent);

        Run(sys, parent, TreeActor.Escape.Instance); // a Bump sent from another thread during the run
        Assert.True(sys.Controller.Tainted);
        Assert.Equal(1, Report(sys, parent).Counter);

        Assert.False(checkpoint.TryRestore());
        Assert.Equal(1, Report(sys, parent).Counter);

        sys.Controller.ClearTaint();
        Assert.True(checkpoint.TryRestore());
        Assert.Equal(0, Report(sys, parent).Counter);
    }

    [Fact]
    public void Take_must_throw_while_work_is_parked()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        parent.Tell(TreeActor.Bump.Instance);

        Assert.Throws<InvalidOperationException>(() => ActorTreeCheckpoint.Take(sys.Controller, parent));

        sys.Controller.RunToQuiescence();
        Assert.Equal(1, ActorTreeCheckpoint.Take(sys.Controller, parent).ActorCount);
    }

    [Fact]
    public void Take_must_throw_for_an_actor_that_is_not_local()
    {
        using var sys = new ControlledSystem();
        Assert.Throws<InvalidOperationException>(() => ActorTreeCheckpoint.Take(sys.Controller, ActorRefs.Nobody));
        Assert.Throws<ArgumentNullException>(() => ActorTreeCheckpoint.Take(null!, sys.Host.Ref));
        Assert.Throws<ArgumentNullException>(() => ActorTreeCheckpoint.Take(sys.Controller, null!));
    }

    [Fact]
    public void Checkpoint_must_count_the_actors_of_the_tree_and_the_objects_they_reach()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<TreeActor>(), "parent");
        var a = Spawn(sys, parent, "a");
        Spawn(sys, parent, "b");
        Spawn(sys, a, "ga");
        Spawn(sys, sys.Host.Ref, "outside"); // a sibling of the root: not in the tree

        var checkpoint = ActorTreeCheckpoint.Take(sys.Controller, parent);
        Assert.Equal(4, checkpoint.ActorCount);
        // Per actor: the instance, its log list and the list's array, its list of refs and its dictionary (empty: no
        // arrays yet); and 3 objects reached from every actor, counted once (the empty array of the empty ref lists, the
        // dictionaries' comparer objects). The refs and strings are shared.
        const int Shared = 3;
        Assert.Equal((4 * 5) + Shared, checkpoint.ObjectCount);

        var extra = new List<int> { 1 };
        var withExtra = ActorTreeCheckpoint.Take(sys.Controller, parent, extra, extra);
        Assert.Equal(4, withExtra.ActorCount);
        Assert.Equal((4 * 5) + Shared + 2, withExtra.ObjectCount);

        var leaf = ActorTreeCheckpoint.Take(sys.Controller, a);
        Assert.Equal(2, leaf.ActorCount);
        Assert.Equal((2 * 5) + Shared, leaf.ObjectCount);
    }

    /// <summary>Asks <paramref name="to"/> (the host or a <see cref="TreeActor"/>) to create a child
    /// <paramref name="name"/>, runs FIFO to quiescence, and returns the child.</summary>
    private static IActorRef Spawn(ControlledSystem sys, IActorRef to, string name, bool watch = false)
    {
        if (to.Equals(sys.Host.Ref))
        {
            return sys.Host.Spawn(Props.Create<TreeActor>(), name);
        }

        var request = new TreeActor.SpawnChild(name, watch);
        Run(sys, to, request);
        Assert.Null(request.Error);
        return request.Result ?? throw new InvalidOperationException($"{to.Path} did not spawn {name}");
    }

    /// <summary>The child <paramref name="name"/> of <paramref name="parent"/> as its parent knows it now.</summary>
    private static IActorRef Child(ControlledSystem sys, IActorRef parent, string name)
    {
        var request = new TreeActor.GetChild(name);
        Run(sys, parent, request);
        Assert.False(request.Result is null || request.Result.IsNobody(), $"{parent.Path} has no child {name}");
        return request.Result!;
    }

    /// <summary>Whether the actor's cell terminated (IActorRef.IsTerminated is obsolete).</summary>
    private static bool IsStopped(IActorRef actor) => ((ActorCell)((ActorRefWithCell)actor).Underlying).IsTerminated;

    private static TreeActor.Report Report(ControlledSystem sys, IActorRef actor)
    {
        var report = new TreeActor.Report();
        Run(sys, actor, report);
        Assert.True(report.Filled, $"{actor.Path} did not report");
        return report;
    }

    private static void Run(ControlledSystem sys, IActorRef to, object message)
    {
        to.Tell(message, ActorRefs.NoSender);
        Assert.True(sys.Controller.RunToQuiescence().Quiescent);
    }

    /// <summary>A counter and a log, children made on request, all on the controlled dispatcher.</summary>
    private sealed class TreeActor : UntypedActor
    {
        private readonly List<string> _log = [];
        private readonly List<IActorRef> _remembered = [];
        private readonly Dictionary<string, (int Order, IActorRef Ref)> _byName = [];
        private IActorRef? _last;
        private int _counter;

        public TreeActor() => _log.Add("created");

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case SpawnChild spawn:
                    try
                    {
                        spawn.Result = Context.ActorOf(Props.Create<TreeActor>().WithDispatcher(ControlledSystem.DispatcherId), spawn.Name);
                        if (spawn.Watch)
                        {
                            Context.Watch(spawn.Result);
                        }

                        _counter++;
                        _log.Add($"spawned {spawn.Name}");
                    }
                    catch (InvalidActorNameException e)
                    {
                        spawn.Error = e;
                    }

                    break;
                case StopChild stop:
                    Context.Stop(Context.Child(stop.Name));
                    _counter++;
                    _log.Add($"stopped {stop.Name}");
                    break;
                case Remember remember:
                    _remembered.Add(remember.Ref);
                    _byName[remember.Ref.Path.Name] = (_byName.Count, remember.Ref);
                    _last = remember.Ref;
                    break;
                case TellRemembered tell:
                    foreach (var r in _remembered)
                    {
                        r.Tell(tell.Message);
                    }
                    break;
                case GetChild get:
                    get.Result = Context.Child(get.Name);
                    break;
                case Bump:
                    _counter++;
                    _log.Add("bump");
                    break;
                case Fail:
                    throw new InvalidOperationException("fail on request");
                case Terminated terminated:
                    _counter++;
                    _log.Add($"terminated {terminated.ActorRef.Path.Name}");
                    if (terminated.ActorRef.Path.Name.StartsWith("fatal", StringComparison.Ordinal))
                    {
                        throw new InvalidOperationException($"{terminated.ActorRef.Path.Name} stopped");
                    }

                    break;
                case Escape:
                    var self = Self;
                    var thread = new Thread(() => self.Tell(Bump.Instance, ActorRefs.NoSender));
                    thread.Start();
                    thread.Join();
                    break;
                case Report report:
                    report.Counter = _counter;
                    report.Log = [.. _log];
                    report.Children = [.. Context.GetChildren().Select(c => c.Path.Name).Order(StringComparer.Ordinal)];
                    report.Remembered = [.. _remembered, .. _byName.Values.OrderBy(v => v.Order).Select(v => v.Ref), .. _last is null ? [] : new[] { _last }];
                    report.Filled = true;
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }

        public sealed record Bump
        {
            public static readonly Bump Instance = new();
        }

        public sealed record Fail
        {
            public static readonly Fail Instance = new();
        }

        /// <summary>Sends itself a <see cref="Bump"/> from another thread (which taints the controller).</summary>
        public sealed record Escape
        {
            public static readonly Escape Instance = new();
        }

        public sealed record StopChild(string Name);

        /// <summary>Keeps a ref in the actor's state (in a list, a dictionary's entries and a field).</summary>
        public sealed record Remember(IActorRef Ref);

        /// <summary>Tells every ref of the list what the actor remembered.</summary>
        public sealed record TellRemembered(object Message);

        public sealed class GetChild(string name)
        {
            public string Name { get; } = name;

            public IActorRef? Result { get; set; }
        }

        /// <summary>Request and reply slot in one: the actor and the test share the controller's thread.</summary>
        public sealed class SpawnChild(string name, bool watch)
        {
            public string Name { get; } = name;

            /// <summary>Whether the actor watches the child (a Terminated counts and is logged; a "fatal..." child's
            /// Terminated fails the actor).</summary>
            public bool Watch { get; } = watch;

            public IActorRef? Result { get; set; }

            public Exception? Error { get; set; }
        }

        /// <summary>The actor's state, copied out (value equality, for comparing before and after).</summary>
        public sealed record Report
        {
            public bool Filled { get; set; }

            public int Counter { get; set; }

            public IReadOnlyList<string> Log { get; set; } = [];

            public IReadOnlyList<string> Children { get; set; } = [];

            /// <summary>The remembered refs: the list's, then the dictionary's in order, then the field's. Not
            /// compared by <see cref="Equals(Report?)"/>.</summary>
            public IReadOnlyList<IActorRef> Remembered { get; set; } = [];

            public bool Equals(Report? other) => other is not null && Filled == other.Filled && Counter == other.Counter
                && Log.SequenceEqual(other.Log) && Children.SequenceEqual(other.Children);

            public override int GetHashCode() => HashCode.Combine(Filled, Counter, Log.Count, Children.Count);
        }
    }
}
