using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using Akka.Actor;
using Akka.Dispatch.MessageQueues;

namespace Actors.Scheduling;

/// <summary>Reads the head message of a mailbox queue without dequeuing it: queues that offer a peek, and Akka's
/// common queues.</summary>
/// <remarks>
/// A queue type with a public instance method <c>bool TryPeek(out Envelope)</c> is peeked through it: the model's
/// <c>Actors.Kernel.Mailboxes.MpscMessageQueue</c> (this project does not reference the kernel, so the method is found by
/// its signature, once per type). Akka.NET has no peek on <see cref="IMessageQueue"/>; for its own queues this reads the
/// private fields of <see cref="UnboundedMessageQueue"/> (<c>_queue</c>, a <c>ConcurrentQueue&lt;Envelope&gt;</c>) and
/// of <see cref="DequeWrapperMessageQueue"/> (<c>_prependBuffer</c>, a <c>Stack&lt;Envelope&gt;</c> that unstash
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
        if (TryPeekMethod(queueType) is { } tryPeek)
        {
            return Peeker(queueType, tryPeek);
        }

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

    /// <summary>The queue type's public <c>bool TryPeek(out Envelope)</c>, or null.</summary>
    private static MethodInfo? TryPeekMethod(Type queueType)
    {
        var method = queueType.GetMethod("TryPeek", BindingFlags.Instance | BindingFlags.Public, [typeof(Envelope).MakeByRefType()]);
        return method is not null && method.ReturnType == typeof(bool) && method.GetParameters()[0].IsOut ? method : null;
    }

    /// <summary>queue => ((TQueue)queue).TryPeek(out var head) ? head.Message : null, compiled.</summary>
    private static Func<IMessageQueue, object?> Peeker(Type queueType, MethodInfo tryPeek)
    {
        var queue = Expression.Parameter(typeof(IMessageQueue), "queue");
        var head = Expression.Variable(typeof(Envelope), "head");
        var body = Expression.Block(
            typeof(object),
            [head],
            Expression.Condition(
                Expression.Call(Expression.Convert(queue, queueType), tryPeek, head),
                Expression.Property(head, nameof(Envelope.Message)),
                Expression.Constant(null, typeof(object))));
        return Expression.Lambda<Func<IMessageQueue, object?>>(body, queue).Compile();
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
