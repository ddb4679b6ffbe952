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
/// object they reach (<see cref="ObjectGraphSnapshot"/>). It refuses (returns false, changing nothing) when the tree
/// cannot come back: work is still parked (the schedule was cut or failed), or an actor of the checkpoint stopped or
/// was replaced (a task reaped, a namespace destroyed, an actor that failed). The caller then starts afresh.</para>
/// </remarks>
public sealed class ActorTreeCheckpoint
{
    private static readonly Func<ActorCell, ActorBase?> InstanceOf = typeof(ActorCell)
        .GetProperty("Actor", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!
        .GetGetMethod(nonPublic: true)!
        .CreateDelegate<Func<ActorCell, ActorBase?>>();

    private readonly SchedulingController _controller;
    private readonly Node[] _nodes;
    private readonly ObjectGraphSnapshot _heap;
    private readonly List<IInternalActorRef> _extra = [];

    private ActorTreeCheckpoint(SchedulingController controller, Node[] nodes, ObjectGraphSnapshot heap)
    {
        _controller = controller;
        _nodes = nodes;
        _heap = heap;
    }

    /// <summary>Actors in the checkpoint.</summary>
    public int ActorCount => _nodes.Length;

    /// <summary>Objects the checkpoint restores (actor instances included).</summary>
    public int ObjectCount => _heap.ObjectCount;

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
        var pending = new Stack<IActorRef>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var actor = pending.Pop();
            var cell = CellOf(actor) ?? throw new InvalidOperationException($"{actor.Path} is not a local actor");
            var instance = InstanceOf(cell) ?? throw new InvalidOperationException($"{actor.Path} has no instance");
            var children = cell.GetChildren().Select(c => (IActorRef)c).OrderBy(c => c.Path.Name, StringComparer.Ordinal).ToArray();
            nodes.Add(new Node(cell, instance, [.. children.Select(c => c.Path.Name)]));
            for (var i = children.Length - 1; i >= 0; i--)
            {
                pending.Push(children[i]);
            }
        }
        var heap = ObjectGraphSnapshot.Take(nodes.Select(n => (object)n.Instance).Concat(extraRoots));
        return new ActorTreeCheckpoint(controller, [.. nodes], heap);
    }

    /// <summary>Brings the tree back to the checkpoint; false when it cannot (then the tree is as it was, or its actors
    /// made since the checkpoint were stopped: either way the caller discards it). Call it on the controller's thread,
    /// outside a controller run.</summary>
    public bool TryRestore()
    {
        if (_controller.PendingCount > 0 || _controller.Tainted)
        {
            return false;
        }
        foreach (var node in _nodes)
        {
            if (node.Cell.IsTerminated || !ReferenceEquals(InstanceOf(node.Cell), node.Instance))
            {
                return false;
            }
        }
        _extra.Clear();
        foreach (var node in _nodes)
        {
            if (node.Cell.ChildrenContainer.Children.Count == node.Children.Count)
            {
                continue;
            }
            foreach (var child in node.Cell.GetChildren())
            {
                if (!node.Children.Contains(child.Path.Name))
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
            // Then every checkpointed actor must still be there, with the same instance (their termination work may fail
            // a watcher, which its supervisor restarts) and its checkpointed children only (names freed).
            if (!_controller.RunToQuiescence().Quiescent || !_nodes.All(static n => !n.Cell.IsTerminated
                    && ReferenceEquals(InstanceOf(n.Cell), n.Instance)
                    && n.Cell.ChildrenContainer.Children.Count == n.Children.Count))
            {
                return false;
            }
        }
        _heap.Restore();
        return true;
    }

    private static ActorCell? CellOf(IActorRef actor) => (actor as ActorRefWithCell)?.Underlying as ActorCell;

    private sealed record Node(ActorCell Cell, ActorBase Instance, HashSet<string> Children);
}
