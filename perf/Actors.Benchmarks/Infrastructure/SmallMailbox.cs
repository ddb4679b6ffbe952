using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Actors.Benchmarks.Infrastructure;

/// <summary>An experiment for <c>quick ... smallmailbox</c>: an unbounded mailbox queue that costs about 40 bytes while
/// empty (a <see cref="Queue{T}"/> with no array, under a lock), instead of the default
/// <see cref="UnboundedMessageQueue"/>, whose <c>ConcurrentQueue</c> allocates a 32-slot segment (over 1 KB) for
/// every actor at creation. It measures how much of a task actor's retained bytes is its mailbox queue; not meant for
/// production (a lock per enqueue and dequeue).</summary>
/// <remarks>Turned on with <see cref="Hocon"/>, which makes it every actor's default mailbox.</remarks>
public sealed class SmallMailbox : MailboxType
{
    public const string Hocon = "akka.actor.default-mailbox.mailbox-type = \"Actors.Benchmarks.Infrastructure.SmallMailbox, Actors.Benchmarks\"";

    public SmallMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new SmallQueue();

    private sealed class SmallQueue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        // Also the lock. Its array grows on the first enqueue (to 4 slots) and is kept.
        private readonly Queue<Envelope> _queue = new();
        private int _count;

        public bool HasMessages => Volatile.Read(ref _count) > 0;

        public int Count => Volatile.Read(ref _count);

        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            lock (_queue)
            {
                _queue.Enqueue(envelope);
                Volatile.Write(ref _count, _queue.Count);
            }
        }

        public bool TryDequeue(out Envelope envelope)
        {
            if (Volatile.Read(ref _count) == 0)
            {
                envelope = default;
                return false;
            }
            lock (_queue)
            {
                var got = _queue.TryDequeue(out envelope);
                Volatile.Write(ref _count, _queue.Count);
                return got;
            }
        }

        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var envelope))
            {
                deadletters.Enqueue(owner, envelope);
            }
        }
    }
}
