using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Diagnostics.Tracing;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;
using Actors.Kernel.Mailboxes;

namespace Actors.Benchmarks.Infrastructure;

/// <summary>A mailbox that counts the messages enqueued, by message type (system messages, which do not go through
/// the queue, are not counted). For <c>quick ... count</c> only: the shared counters slow every send down.</summary>
/// <remarks>Turned on with <see cref="Hocon"/>, which makes it every actor's default mailbox and the model
/// dispatcher's; it wraps the model's queue (<see cref="MpscMessageQueue"/>).</remarks>
public sealed class CountingMailbox : MailboxType
{
    /// <summary>Layer this over the benchmark profile to count messages.</summary>
    public const string Hocon = "akka.actor.default-mailbox.mailbox-type = \"Actors.Benchmarks.Infrastructure.CountingMailbox, Actors.Benchmarks\"\n" +
                                "actors.dispatchers.model.mailbox-type = \"Actors.Benchmarks.Infrastructure.CountingMailbox, Actors.Benchmarks\"";

    private static readonly ConcurrentDictionary<Type, StrongBox<long>> s_counts = new();

    public CountingMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    /// <summary>Messages enqueued since the last <see cref="Reset"/>, by type name, most first.</summary>
    public static IReadOnlyList<(string Type, long Count)> Counts =>
        [.. s_counts.Select(kv => (kv.Key.Name, Volatile.Read(ref kv.Value.Value))).Where(c => c.Item2 > 0).OrderByDescending(c => c.Item2)];

    public static void Reset()
    {
        foreach (var box in s_counts.Values)
        {
            Volatile.Write(ref box.Value, 0);
        }
    }

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CountingQueue();

    private sealed class CountingQueue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private readonly MpscMessageQueue _inner = new();

        public bool HasMessages => _inner.HasMessages;

        public int Count => _inner.Count;

        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            var box = s_counts.GetOrAdd(envelope.Message.GetType(), _ => new StrongBox<long>());
            Interlocked.Increment(ref box.Value);
            _inner.Enqueue(receiver, envelope);
        }

        public bool TryDequeue(out Envelope envelope) => _inner.TryDequeue(out envelope);

        public void CleanUp(IActorRef owner, IMessageQueue deadletters) => _inner.CleanUp(owner, deadletters);
    }
}

/// <summary>Samples allocations in this process by type: the runtime's GCAllocationTick event (one per ~100 KB
/// allocated, naming the type of the object that crossed the mark), read in-process.</summary>
public sealed class AllocationSampler : EventListener
{
    private const int GcAllocationTickEventId = 10;
    private readonly ConcurrentDictionary<string, StrongBox<long>> _bytes = new();
    private volatile bool _on;

    /// <summary>Sampled bytes by type name, most first.</summary>
    public IReadOnlyList<(string Type, long Bytes)> Bytes =>
        [.. _bytes.Select(kv => (kv.Key, Volatile.Read(ref kv.Value.Value))).OrderByDescending(c => c.Item2)];

    public void Start()
    {
        _bytes.Clear();
        _on = true;
    }

    public void Stop() => _on = false;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_on || eventData.EventId != GcAllocationTickEventId || eventData.PayloadNames is null || eventData.Payload is null)
        {
            return;
        }
        var type = eventData.PayloadNames.IndexOf("TypeName");
        var amount = eventData.PayloadNames.IndexOf("AllocationAmount64");
        if (type < 0 || amount < 0)
        {
            return;
        }
        var box = _bytes.GetOrAdd(eventData.Payload[type] as string ?? "?", _ => new StrongBox<long>());
        Interlocked.Add(ref box.Value, Convert.ToInt64(eventData.Payload[amount], System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>A mailbox that measures how long each actor spends on each message: the time from dequeuing a message to
/// the mailbox's next dequeue attempt (Akka's mailbox run tries the next message right after the previous one and
/// its system messages are handled), by actor kind (from the actor's name) and message type. For <c>quick ...
/// time</c> only. A gap over <see cref="MaxGapTicks"/> (a run that ended on its throughput limit and resumed later)
/// is dropped and counted. Like <see cref="CountingMailbox"/>, every actor's and the model dispatcher's, around the
/// model's queue.</summary>
public sealed class TimingMailbox : MailboxType
{
    public const string Hocon = "akka.actor.default-mailbox.mailbox-type = \"Actors.Benchmarks.Infrastructure.TimingMailbox, Actors.Benchmarks\"\n" +
                                "actors.dispatchers.model.mailbox-type = \"Actors.Benchmarks.Infrastructure.TimingMailbox, Actors.Benchmarks\"";

    private static readonly long MaxGapTicks = System.Diagnostics.Stopwatch.Frequency / 5000; // 200 us
    private static readonly ConcurrentDictionary<(string Kind, Type Type), long[]> s_time = new();
    private static long s_dropped;

    public TimingMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    /// <summary>Handler time since the last <see cref="Reset"/>: actor kind, message type, messages, total seconds.</summary>
    public static IReadOnlyList<(string Kind, string Type, long Count, double Seconds)> Times =>
        [.. s_time.Select(kv => (kv.Key.Kind, kv.Key.Type.Name, Volatile.Read(ref kv.Value[0]),
                Volatile.Read(ref kv.Value[1]) / (double)System.Diagnostics.Stopwatch.Frequency))
            .Where(t => t.Item3 > 0).OrderByDescending(t => t.Item4)];

    public static long Dropped => Volatile.Read(ref s_dropped);

    public static void Reset()
    {
        foreach (var v in s_time.Values)
        {
            Volatile.Write(ref v[0], 0);
            Volatile.Write(ref v[1], 0);
        }
        Volatile.Write(ref s_dropped, 0);
    }

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new TimingQueue(Kind(owner));

    private static string Kind(IActorRef? owner)
    {
        var name = owner?.Path.Name ?? "?";
        return name switch
        {
            "tasks" => "TaskListActor",
            "pidmap" => "PidMapActor",
            "driver" => "driver",
            "kernel" => "KernelActor",
            _ when name.StartsWith('t') && name.Length > 1 && char.IsDigit(name[1]) => "TaskActor",
            _ when name.StartsWith("ns", StringComparison.Ordinal) => "PidNamespaceActor",
            _ => "other",
        };
    }

    private sealed class TimingQueue(string kind) : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private readonly MpscMessageQueue _inner = new();
        private long _lastTicks;
        private Type? _lastType;

        public bool HasMessages => _inner.HasMessages;

        public int Count => _inner.Count;

        public void Enqueue(IActorRef receiver, Envelope envelope) => _inner.Enqueue(receiver, envelope);

        public bool TryDequeue(out Envelope envelope)
        {
            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            if (_lastType is not null)
            {
                var gap = now - _lastTicks;
                if (gap > MaxGapTicks)
                {
                    Interlocked.Increment(ref s_dropped);
                }
                else
                {
                    var slot = s_time.GetOrAdd((kind, _lastType), _ => new long[2]);
                    Interlocked.Increment(ref slot[0]);
                    Interlocked.Add(ref slot[1], gap);
                }
            }
            var got = _inner.TryDequeue(out envelope);
            _lastType = got ? envelope.Message.GetType() : null;
            _lastTicks = got ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            return got;
        }

        public void CleanUp(IActorRef owner, IMessageQueue deadletters) => _inner.CleanUp(owner, deadletters);
    }
}

/// <summary>Counts the dynamic methods the runtime compiles (MethodLoadVerbose events with the dynamic flag: compiled
/// expression trees, Reflection.Emit, reflection invoke stubs), for <c>quick explore</c>: a profile showed the
/// finalizer thread busy destroying dynamic methods.</summary>
public sealed class DynamicMethodCounter : EventListener
{
    private const int MethodLoadVerbose = 143;
    private long _count;
    private volatile bool _on;

    /// <summary>Dynamic methods compiled while on.</summary>
    public long Count => Interlocked.Read(ref _count);

    public void Start()
    {
        Interlocked.Exchange(ref _count, 0);
        _on = true;
    }

    public void Stop() => _on = false;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x10); // JitKeyword
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_on || eventData.EventId != MethodLoadVerbose || eventData.Payload is null || eventData.PayloadNames is null)
        {
            return;
        }
        var flags = eventData.PayloadNames.IndexOf("MethodFlags");
        if (flags >= 0 && (Convert.ToUInt32(eventData.Payload[flags], System.Globalization.CultureInfo.InvariantCulture) & 1) != 0)
        {
            Interlocked.Increment(ref _count);
        }
    }
}
