using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using Akka.Actor;
using Akka.Dispatch.MessageQueues;

namespace Actors.Scheduling;

/// <summary>Reads the head message of Akka's common message queues without dequeuing it.</summary>
/// <remarks>
/// Akka.NET has no peek on <see cref="IMessageQueue"/>; this reads the private fields of
/// <see cref="UnboundedMessageQueue"/> (<c>_queue</c>, a <c>ConcurrentQueue&lt;Envelope&gt;</c>) and of
/// <see cref="DequeWrapperMessageQueue"/> (<c>_prependBuffer</c>, a <c>Stack&lt;Envelope&gt;</c> that unstash
/// prepends to, then the wrapped queue), as of Akka 1.5.74, through compiled field getters. Queue types it does
/// not know (or fields renamed by a future Akka) yield null, and the controller falls back to a shadow queue
/// fed by <c>ControlledDispatcher.Dispatch</c>. Only safe while nobody dequeues, i.e. while the mailbox is parked.
/// </remarks>
internal static class MessageQueuePeek
{
    private static readonly ConcurrentDictionary<Type, Func<IMessageQueue, object?>?> Peekers = new();

    /// <summary>A function returning the head message of queues of <paramref name="queueType"/> (null when
    /// the queue is empty), or null when the type cannot be peeked.</summary>
    public static Func<IMessageQueue, object?>? For(Type queueType) => Peekers.GetOrAdd(queueType, Build);

    private static Func<IMessageQueue, object?>? Build(Type queueType)
    {
        if (queueType == typeof(UnboundedMessageQueue))
        {
            var queue = Getter<ConcurrentQueue<Envelope>>(queueType, "_queue");
            return queue is null ? null : q => queue(q).TryPeek(out var head) ? head.Message : null;
        }

        if (typeof(DequeWrapperMessageQueue).IsAssignableFrom(queueType))
        {
            var prepend = Getter<Stack<Envelope>>(typeof(DequeWrapperMessageQueue), "_prependBuffer");
            var inner = Getter<IMessageQueue>(typeof(DequeWrapperMessageQueue), "MessageQueue");
            if (prepend is null || inner is null)
            {
                return null;
            }

            return q =>
            {
                var buffer = prepend(q);
                if (buffer.Count > 0)
                {
                    return buffer.Peek().Message;
                }

                var wrapped = inner(q);
                return For(wrapped.GetType()) is { } peek ? peek(wrapped) : null;
            };
        }

        return null;
    }

    private static Func<IMessageQueue, T>? Getter<T>(Type declaring, string name)
    {
        var field = declaring.GetField(name, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        if (field is null || field.FieldType != typeof(T))
        {
            return null;
        }

        var queue = Expression.Parameter(typeof(IMessageQueue), "queue");
        var body = Expression.Field(Expression.Convert(queue, declaring), field);
        return Expression.Lambda<Func<IMessageQueue, T>>(body, queue).Compile();
    }
}
