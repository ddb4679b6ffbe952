using System.Reflection;
using Akka.Actor;

namespace Actors.Scheduling;

/// <summary>A checkpoint of a quiescent tree of controlled actors: the actors alive under a root and the state their
/// instances reach, to which the tree can be brought back after more steps ran.</summary>
/// <remarks>
/// <para>The explorer runs a scenario's sequential prefix once, checkpoints the kernel, and starts each later schedule
/// from the checkpoint instead of booting a new kernel and running the prefix again: the prefix runs in FIFO order, so
/// every schedule would reach the same state there anyway.</para>
/// <para><see cref="TryRestore"/> stops the actors made since (children of the checkpointed ones), runs the controller
/// to quiescence so Akka frees their names, and writes the checkpointed state back into the actor instances and every
/// object they reach (<see cref="ObjectGraphSnapshot"/>). An actor of the checkpoint that stopped since (a task reaped,
/// a namespace destroyed) is brought back: a new actor of the same name under its parent, created with Props whose
/// producer hands Akka the checkpointed instance (no constructor runs again), with the behavior it had at the
/// checkpoint. Its new actor ref replaces the old one wherever the checkpoint's copies hold it, so the state written
/// back refers to the live actor.</para>
/// <para>It refuses (returns false) when the tree cannot come back: work is still parked (the schedule was cut or
/// failed), the controller is tainted, an actor of the checkpoint is alive with another instance (restarted), the root
/// stopped, or a stopped actor cannot be brought back (it watched or was watched, it overrides PreStart, it has timers
/// or a stash, or its ref is held where it cannot be rewritten: a collection's key, a multi-dimensional array). The
/// caller then starts afresh.</para>
/// </remarks>
public sealed class ActorTreeCheckpoint
{
    private const BindingFlags Any = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;

    private static readonly Func<ActorCell, ActorBase?> InstanceOf = typeof(ActorCell)
        .GetProperty("Actor", Any)!
        .GetGetMethod(nonPublic: true)!
        .CreateDelegate<Func<ActorCell, ActorBase?>>();

    private static readonly Func<ActorCell?> CurrentCell = typeof(ActorCell)
        .GetProperty("Current", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)!
        .GetGetMethod(nonPublic: true)!
        .CreateDelegate<Func<ActorCell?>>();

    private static readonly Action<ActorBase> Unclear = typeof(ActorBase)
        .GetMethod("Unclear", Any, Type.EmptyTypes)!
        .CreateDelegate<Action<ActorBase>>();

    private static readonly FieldInfo CellProps = typeof(ActorCell).GetField("<Props>k__BackingField", Any)
        ?? typeof(ActorCell).GetField("_props", Any)
        ?? throw new InvalidOperationException("ActorCell keeps its Props in no known field");

    private static readonly FieldInfo CellState = typeof(ActorCell).GetField("_state", Any)
        ?? throw new InvalidOperationException("ActorCell keeps its state in no known field");

    private static readonly MethodInfo CurrentBehavior = CellState.FieldType.GetMethod("GetCurrentBehavior")!;
    private static readonly MethodInfo Watching = CellState.FieldType.GetMethod("GetWatching")!;
    private static readonly MethodInfo WatchedBy = CellState.FieldType.GetMethod("GetWatchedBy")!;

    private readonly SchedulingController _controller;
    private readonly Node[] _nodes;
    private readonly ObjectGraphSnapshot _heap;
    private readonly Dictionary<ActorCell, Node> _byCell = new(ReferenceEqualityComparer.Instance);
    private readonly List<IInternalActorRef> _extra = [];
    private readonly List<Node> _revived = [];

    private ActorTreeCheckpoint(SchedulingController controller, Node[] nodes, ObjectGraphSnapshot heap)
    {
        _controller = controller;
        _nodes = nodes;
        _heap = heap;
        foreach (var node in nodes)
        {
            _byCell.Add(node.Cell, node);
        }
    }

    /// <summary>Actors in the checkpoint.</summary>
    public int ActorCount => _nodes.Length;

    /// <summary>Objects the checkpoint restores (actor instances included).</summary>
    public int ObjectCount => _heap.ObjectCount;

    /// <summary>Actors of the checkpoint brought back by restores so far (stopped since, then created again).</summary>
    public int Revived { get; private set; }

    /// <summary>Checkpoints <paramref name="root"/> and every actor below it, with the state reachable from their
    /// instances and from <paramref name="extraRoots"/>. Call it at quiescence, on the controller's thread.</summary>
    /// <exception cref="InvalidOperationException">Work is parked, or an actor of the tree is not a local actor
    /// with a started instance.</exception>
    public static ActorTreeCheckpoint Take(SchedulingController controller, IActorRef root, params object[] extraRoots)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(root);
        if (controller.PendingCount > 0)
        {
            throw new InvalidOperationException("a checkpoint is taken at quiescence: work is parked");
        }
        var nodes = new List<Node>();
        var pending = new Stack<(IActorRef Actor, int Parent)>();
        pending.Push((root, -1));
        while (pending.Count > 0)
        {
            var (actor, parent) = pending.Pop();
            var cell = CellOf(actor) ?? throw new InvalidOperationException($"{actor.Path} is not a local actor");
            var instance = InstanceOf(cell) ?? throw new InvalidOperationException($"{actor.Path} has no instance");
            var children = cell.GetChildren().Select(c => (IActorRef)c).OrderBy(c => c.Path.Name, StringComparer.Ordinal).ToArray();
            var state = CellState.GetValue(cell)!;
            var watches = ((IEnumerable<IActorRef>)Watching.Invoke(state, null)!).Any()
                || ((IEnumerable<IActorRef>)WatchedBy.Invoke(state, null)!).Any();
            var node = new Node(cell, instance, parent, actor.Path.Name, cell.Props, (Receive)CurrentBehavior.Invoke(state, null)!)
            {
                Revivable = parent >= 0 && !watches && IsRevivable(instance),
            };
            if (parent >= 0)
            {
                nodes[parent].Children.Add(nodes.Count);
            }
            nodes.Add(node);
            for (var i = children.Length - 1; i >= 0; i--)
            {
                pending.Push((children[i], nodes.Count - 1));
            }
        }
        var heap = ObjectGraphSnapshot.Take(nodes.Select(n => (object)n.Instance).Concat(extraRoots));
        // Where the copies hold an actor of the tree: rewritten when the actor comes back with a new ref.
        var byRef = new Dictionary<IActorRef, int>();
        for (var i = 0; i < nodes.Count; i++)
        {
            byRef[nodes[i].Ref] = i;
        }
        var slots = heap.FindSlots(o => o is IActorRef r && byRef.TryGetValue(r, out var i) ? i : -1, i => nodes[i].Revivable = false);
        foreach (var (i, slot) in slots)
        {
            nodes[i].Slots.Add(slot);
        }
        return new ActorTreeCheckpoint(controller, [.. nodes], heap);
    }

    /// <summary>Brings the tree back to the checkpoint; false when it cannot (then the tree is as it was, or its actors
    /// made since the checkpoint were stopped, or some of its stopped actors were brought back: either way the caller
    /// discards it). Call it on the controller's thread, outside a controller run.</summary>
    public bool TryRestore()
    {
        if (_controller.PendingCount > 0 || _controller.Tainted || !Restorable())
        {
            return false;
        }
        _extra.Clear();
        foreach (var node in _nodes)
        {
            if (node.Cell.IsTerminated)
            {
                continue;
            }
            var container = node.Cell.ChildrenContainer.Children;
            if (container.Count == LiveChildren(node))
            {
                continue; // its children are its checkpointed ones that are alive
            }
            foreach (var child in container)
            {
                if (CellOf(child) is not { } cell || !_byCell.ContainsKey(cell))
                {
                    _extra.Add(child);
                }
            }
        }
        if (_extra.Count > 0)
        {
            // Their parked termination work runs now, in path order (Akka's child container is hash-ordered).
            _extra.Sort(static (a, b) => string.CompareOrdinal(a.Path.ToString(), b.Path.ToString()));
            foreach (var child in _extra)
            {
                child.Stop();
            }
            _extra.Clear();
            // Then every checkpointed actor must be alive with the same instance (termination work may fail a watcher,
            // which its supervisor restarts) or stopped and revivable, and the extra names freed.
            if (!_controller.RunToQuiescence().Quiescent || !Restorable())
            {
                return false;
            }
        }
        if (!Revive())
        {
            return false;
        }
        foreach (var node in _nodes)
        {
            if (!ReferenceEquals(node.SlotRef, node.Ref))
            {
                foreach (var slot in node.Slots)
                {
                    ObjectGraphSnapshot.Write(slot, node.Ref);
                }
                node.SlotRef = node.Ref;
            }
        }
        _heap.Restore();
        return true;
    }

    /// <summary>Whether every actor of the checkpoint is alive with its checkpointed instance, or stopped and revivable
    /// (the root and its parent alive).</summary>
    private bool Restorable()
    {
        foreach (var node in _nodes)
        {
            if (node.Cell.IsTerminated ? !node.Revivable : !ReferenceEquals(InstanceOf(node.Cell), node.Instance))
            {
                return false;
            }
        }
        return true;
    }

    private int LiveChildren(Node node)
    {
        var live = 0;
        foreach (var child in node.Children)
        {
            if (!_nodes[child].Cell.IsTerminated)
            {
                live++;
            }
        }
        return live;
    }

    /// <summary>Creates the stopped actors of the checkpoint again, parents first, each under its parent's (live or
    /// new) cell with its checkpointed instance and behavior; false when one cannot be.</summary>
    private bool Revive()
    {
        _revived.Clear();
        foreach (var node in _nodes)
        {
            if (!node.Cell.IsTerminated)
            {
                continue;
            }
            var parent = _nodes[node.Parent].Cell;
            var props = Props.CreateBy(new Reviver(node)).WithDeploy(node.Props.Deploy);
            if (node.Props.SupervisorStrategy is { } strategy)
            {
                props = props.WithSupervisorStrategy(strategy);
            }
            IActorRef actor;
            try
            {
                actor = parent.ActorOf(props, node.Name);
            }
            catch (InvalidActorNameException)
            {
                return false; // the name is taken: an actor the restore did not stop
            }
            catch (InvalidOperationException)
            {
                return false; // the parent is terminating
            }
            if (CellOf(actor) is not { } cell)
            {
                return false;
            }
            _byCell.Remove(node.Cell);
            node.Cell = cell;
            node.Ref = actor;
            _byCell.Add(cell, node);
            _revived.Add(node);
        }
        if (_revived.Count == 0)
        {
            return true;
        }
        if (!_controller.RunToQuiescence().Quiescent)
        {
            return false;
        }
        foreach (var node in _revived)
        {
            if (node.Cell.IsTerminated || !ReferenceEquals(InstanceOf(node.Cell), node.Instance))
            {
                return false;
            }
            // The cell's Props are the original ones again, as a fresh actor's are.
            CellProps.SetValue(node.Cell, node.Props);
        }
        Revived += _revived.Count;
        _revived.Clear();
        return true;
    }

    /// <summary>Whether an instance can be handed to a new cell as it is: nothing in it is bound to its old cell (timers,
    /// stash) and creating it runs no code of its own (PreStart).</summary>
    private static bool IsRevivable(ActorBase instance)
    {
        if (instance is IWithTimers or IActorStash)
        {
            return false;
        }
        var type = instance.GetType();
        return type.GetMethod("PreStart", Any, Type.EmptyTypes)?.DeclaringType == typeof(ActorBase)
            && type.GetMethod("AroundPreStart", Any, Type.EmptyTypes)?.DeclaringType == typeof(ActorBase);
    }

    private static ActorCell? CellOf(IActorRef actor) => (actor as ActorRefWithCell)?.Underlying as ActorCell;

    /// <summary>One actor of the checkpoint: its current cell and ref (new ones once it was brought back), what it is
    /// created from again, and the slots of the checkpoint's copies holding its ref (holding <see cref="SlotRef"/>).</summary>
    private sealed class Node(ActorCell cell, ActorBase instance, int parent, string name, Props props, Receive behavior)
    {
        public ActorCell Cell { get; set; } = cell;

        public IActorRef Ref { get; set; } = cell.Self;

        public IActorRef SlotRef { get; set; } = cell.Self;

        public ActorBase Instance { get; } = instance;

        public int Parent { get; } = parent;

        public string Name { get; } = name;

        public Props Props { get; } = props;

        public Receive Behavior { get; } = behavior;

        public List<int> Children { get; } = [];

        public List<ObjectGraphSnapshot.Slot> Slots { get; } = [];

        public bool Revivable { get; set; }
    }

    /// <summary>Hands Akka the checkpointed instance of a stopped actor for its new cell: the behavior the instance's
    /// constructor would have set, and its Self no longer the dead letters Akka left it when it stopped.</summary>
    private sealed class Reviver(Node node) : IIndirectActorProducer
    {
        public Type ActorType => node.Instance.GetType();

        public ActorBase Produce()
        {
            var cell = CurrentCell() ?? throw new InvalidOperationException("an actor is produced outside its cell");
            cell.Become(node.Behavior);
            Unclear(node.Instance);
            return node.Instance;
        }

        public void Release(ActorBase actor)
        {
        }
    }
}
