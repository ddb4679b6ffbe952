using Akka.Actor;

namespace Actors.Kernel.Ipc;

/// <summary>A reference to one IPC namespace: identity, actor, and reference count.</summary>
/// <remarks>Linux: <c>struct ipc_namespace *</c> with <c>ns.count</c> (ipc/namespace.c:get_ipc_ns(), put_ipc_ns()).
/// The count is an atomic: one reference per nsproxy that holds the namespace. The last put tells the actor to destroy
/// the namespace (free_ipcs: every object in it goes). Invariant: a destroyed namespace is never used again.</remarks>
public sealed class IpcNsHandle(int id, int initialRefs)
{
    private int _refs = initialRefs;

    /// <summary>Kernel-unique identity (never reused). Immutable.</summary>
    public int Id { get; } = id;

    /// <summary>The namespace's actor. Set once, when it is created.</summary>
    public IActorRef Actor { get; internal set; } = ActorRefs.Nobody;

    public bool Destroyed => Volatile.Read(ref _refs) == 0;

    public IpcNsHandle Get()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
        {
            throw new InvariantViolationException("get_ipc_ns on a destroyed IPC namespace", Id);
        }
        return this;
    }

    public void Put()
    {
        var left = Interlocked.Decrement(ref _refs);
        if (left < 0)
        {
            throw new InvariantViolationException("put_ipc_ns underflow", Id);
        }
        if (left == 0)
        {
            Actor.Tell(IpcProtocol.Destroy.Instance, ActorRefs.NoSender);
        }
    }

    public override string ToString() => $"ipc{Id}";
}
