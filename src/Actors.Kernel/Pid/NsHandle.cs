using Akka.Actor;

namespace Actors.Kernel.Pid;

/// <summary>A reference to one pid namespace: its identity, level, parent, actors and reference count.</summary>
/// <remarks>
/// Linux: the <c>struct pid_namespace *</c> pointer together with <c>ns->ns.count</c>
/// (kernel/pid_namespace.c:get_pid_ns(), put_pid_ns()). The count is an atomic in Linux and an
/// <see cref="Interlocked"/> counter here, taken without any lock or message: one per pid allocated in the
/// namespace (taken when the pid becomes visible, dropped when its numbers are freed), one per nsproxy whose
/// <c>pid_ns_for_children</c> it is, one per child namespace. When it drops to zero the namespace actor is told to
/// destroy itself, which drops its reference on the parent.
/// Invariant: a destroyed namespace holds no pid numbers.
/// </remarks>
public sealed class NsHandle
{
    private int _refs;

    public NsHandle(int id, int level, NsHandle? parent, int initialRefs)
    {
        Id = id;
        Level = level;
        Parent = parent;
        _refs = initialRefs;
    }

    /// <summary>Kernel-unique namespace identity (never reused). Immutable.</summary>
    public int Id { get; }

    /// <summary>0 for the initial namespace; a child's is its parent's plus one. Immutable.</summary>
    public int Level { get; }

    /// <summary>The parent namespace, null for level 0. Immutable.</summary>
    public NsHandle? Parent { get; }

    /// <summary>The namespace actor. Set once, when the actor is created.</summary>
    public IActorRef NsActor { get; internal set; } = ActorRefs.Nobody;

    /// <summary>The namespace's pid map actor (the IDR behind pidmap_lock). Set once, when the actor is created.</summary>
    public IActorRef PidMap { get; internal set; } = ActorRefs.Nobody;

    /// <summary>Current reference count.</summary>
    public int Refs => Volatile.Read(ref _refs);

    /// <summary>True once the count reached zero; the namespace must then be unused.</summary>
    public bool Destroyed => Volatile.Read(ref _refs) == 0;

    /// <summary>The ancestor (or this namespace) at <paramref name="level"/>.</summary>
    public NsHandle AtLevel(int level)
    {
        var ns = this;
        while (ns.Level > level)
        {
            ns = ns.Parent!;
        }
        return ns;
    }

    /// <summary>True when this namespace is <paramref name="other"/> or one of its ancestors.</summary>
    public bool IsAncestorOrSelfOf(NsHandle other) => other.Level >= Level && ReferenceEquals(other.AtLevel(Level), this);

    /// <summary>get_pid_ns().</summary>
    public void Get()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
        {
            throw new InvariantViolationException($"get_pid_ns on destroyed namespace ns{Id}");
        }
    }

    /// <summary>put_pid_ns(): the last put tells the namespace actor to destroy the namespace.</summary>
    public void Put()
    {
        var left = Interlocked.Decrement(ref _refs);
        if (left < 0)
        {
            throw new InvariantViolationException($"put_pid_ns underflow on ns{Id}");
        }
        if (left == 0)
        {
            NsActor.Tell(PidNsProtocol.Destroy.Instance, ActorRefs.NoSender);
        }
    }

    public override string ToString() => $"ns{Id}(level {Level})";
}
