using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Actors.Kernel.Mailboxes;

/// <summary>An unbounded mailbox queue for many producers and one consumer: a linked list with a stub node (Dmitry
/// Vyukov's non-intrusive MPSC queue), about 70 bytes while empty and one 40-byte node per queued message.</summary>
/// <remarks>
/// <para>Why: Akka's default <see cref="UnboundedMessageQueue"/> is a <c>ConcurrentQueue</c>, which allocates a 32-slot
/// segment (over 1 KB) for every actor at creation; with a million task actors that segment is a third of the kernel's
/// memory (perf/README.md, "Memory of live tasks").</para>
/// <para>How: <c>_head</c> is the node linked last; <c>_tail</c> is the stub, the node whose successor holds the oldest
/// message (the node dequeued last, or the initial empty one). A producer swaps its node into <c>_head</c>
/// (<see cref="Interlocked.Exchange{T}(ref T, T)"/>, wait-free) and then links the node it displaced to it. The consumer
/// takes the stub's successor, which becomes the new stub; the old stub is linked to itself, so that no dead node keeps
/// younger ones reachable (an old-generation garbage node pointing into gen0 would keep promoting the queue's later
/// nodes until a full GC), and so that readers on other threads holding it know to start again.</para>
/// <para>Threads, as Akka uses a mailbox queue: <see cref="Enqueue"/> from any thread at any time; <see cref="TryDequeue"/>,
/// <see cref="TryPeek"/> and <see cref="CleanUp"/> only from the mailbox's run (one thread at a time, ordered by the
/// mailbox's status word), or while no run can happen (the controlled dispatcher, between steps);
/// <see cref="HasMessages"/> and <see cref="Count"/> from any thread.</para>
/// <para>No lost wakeup: Akka's producer enqueues, then reads the mailbox's status and schedules it unless a run is
/// going (without a fence when it finds one going); a finishing run clears its status with a CAS and then asks
/// <see cref="HasMessages"/>. The producer's swap is a full fence, so either the producer sees the cleared status and
/// schedules, or the run sees the swapped head: <see cref="HasMessages"/> must look at the head, not at the link, which
/// is a plain store that can still sit in the producer's store buffer when the run looks (that lost messages here:
/// fork+exit+reap hung within seconds). A producer between its swap and its link is a gap of a few instructions:
/// <see cref="TryDequeue"/> then waits for the link (as <c>ConcurrentQueue</c> waits for a reserved slot to be
/// written), and <see cref="Count"/> and <see cref="TryPeek"/> do not count the message yet. Messages from one producer
/// stay in order; messages from different producers in the order of their swaps.</para>
/// </remarks>
public sealed class MpscMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    private Node _head;
    private Node _tail;

    public MpscMessageQueue()
    {
        var stub = new Node(default);
        _head = stub;
        _tail = stub;
    }

    /// <summary>Whether a message was enqueued and not dequeued (its link may still be on its way). Any thread.</summary>
    public bool HasMessages => !ReferenceEquals(Volatile.Read(ref _head), Volatile.Read(ref _tail));

    /// <summary>The number of messages linked in: exact when no enqueue or dequeue runs at the same time (the
    /// controlled dispatcher between steps); otherwise a count the queue had at some moment of the walk or a little more.
    /// Walks the list: O(n). Any thread.</summary>
    /// <remarks>Akka reads it only for routers' mailbox-size logic and diagnostics; the explorer's controller reads it
    /// after each step.</remarks>
    public int Count
    {
        get
        {
            while (true)
            {
                var count = 0;
                var node = First();
                while (node is not null)
                {
                    count++;
                    var next = Volatile.Read(ref node.Next);
                    if (ReferenceEquals(next, node))
                    {
                        // The consumer dequeued past this node while we walked: count again from the new stub.
                        break;
                    }
                    node = next;
                }
                if (node is null)
                {
                    return count;
                }
            }
        }
    }

    /// <summary>Appends <paramref name="envelope"/>. Any thread; wait-free (one swap, one store).</summary>
    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        var node = new Node(envelope);
        var previous = Interlocked.Exchange(ref _head, node);
        Volatile.Write(ref previous.Next, node);
    }

    /// <summary>Removes the oldest message. The consumer only (the mailbox's run).</summary>
    public bool TryDequeue(out Envelope envelope)
    {
        var stub = _tail;
        var next = Volatile.Read(ref stub.Next);
        if (next is null)
        {
            if (ReferenceEquals(Volatile.Read(ref _head), stub))
            {
                envelope = default;
                return false;
            }
            // A producer swapped its node in and has yet to link it: that is a few instructions away, unless the
            // producer's thread was preempted right there.
            var spin = default(SpinWait);
            while ((next = Volatile.Read(ref stub.Next)) is null)
            {
                spin.SpinOnce();
            }
        }
        envelope = next.Envelope;
        // The node becomes the stub: it must not keep the message alive.
        next.Envelope = default;
        Volatile.Write(ref _tail, next);
        Volatile.Write(ref stub.Next, stub);
        return true;
    }

    /// <summary>The oldest message, left in the queue. The consumer only, or while no run can dequeue (the explorer's
    /// controller peeks parked mailboxes).</summary>
    public bool TryPeek(out Envelope envelope)
    {
        var first = First();
        envelope = first is null ? default : first.Envelope;
        return first is not null;
    }

    /// <summary>Moves every queued message to <paramref name="deadletters"/> (the mailbox is closing). The consumer only.</summary>
    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        ArgumentNullException.ThrowIfNull(deadletters);
        while (TryDequeue(out var envelope))
        {
            deadletters.Enqueue(owner, envelope);
        }
    }

    /// <summary>The node of the oldest message, or null when none is linked. Any thread: a stub the consumer already
    /// left (linked to itself) makes it read the current one again.</summary>
    private Node? First()
    {
        while (true)
        {
            var stub = Volatile.Read(ref _tail);
            var next = Volatile.Read(ref stub.Next);
            if (!ReferenceEquals(next, stub))
            {
                return next;
            }
        }
    }

    private sealed class Node(Envelope envelope)
    {
        public Envelope Envelope = envelope;
        public Node? Next;
    }
}

/// <summary>The <see cref="MailboxType"/> of <see cref="MpscMessageQueue"/>, named in HOCON by a dispatcher's
/// <c>mailbox-type</c> (hocon/reference.conf: <c>actors.dispatchers.model</c> and <c>actors.dispatchers.controlled</c>):
/// Akka gives it to every actor whose Props name that dispatcher. Akka creates it with (Settings, Config).</summary>
public sealed class MpscMailbox : MailboxType, IProducesMessageQueue<MpscMessageQueue>
{
    public MpscMailbox(Settings settings, Akka.Configuration.Config config)
        : base(settings, config)
    {
    }

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new MpscMessageQueue();
}
