using Actors.Kernel.Mailboxes;
using Akka.Actor;
using Akka.Dispatch.MessageQueues;
using Xunit;
using Xunit.Abstractions;

namespace Actors.Kernel.Tests.Mailboxes;

/// <summary><see cref="MpscMessageQueue"/>: order, counts, peek and clean-up on one thread; then many producer threads
/// and one consumer thread (seeded), with readers of Count and HasMessages on the side.</summary>
public class MpscMessageQueueTests(ITestOutputHelper output)
{
    private static Envelope E(object message) => new(message, ActorRefs.NoSender);

    private static List<object> Drain(MpscMessageQueue q)
    {
        var got = new List<object>();
        while (q.TryDequeue(out var e))
        {
            got.Add(e.Message);
        }
        return got;
    }

    [Fact]
    public void An_empty_queue_has_nothing_to_dequeue_or_peek()
    {
        var q = new MpscMessageQueue();
        Assert.False(q.HasMessages);
        Assert.Equal(0, q.Count);
        Assert.False(q.TryDequeue(out var e));
        Assert.Null(e.Message);
        Assert.False(q.TryPeek(out var p));
        Assert.Null(p.Message);
    }

    [Fact]
    public void Messages_come_out_in_the_order_they_went_in_with_counts_at_every_step()
    {
        var q = new MpscMessageQueue();
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(i, q.Count);
            q.Enqueue(ActorRefs.Nobody, E(i));
            Assert.True(q.HasMessages);
        }
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(100 - i, q.Count);
            Assert.True(q.TryDequeue(out var e));
            Assert.Equal(i, e.Message);
        }
        Assert.False(q.HasMessages);
        Assert.Equal(0, q.Count);
        Assert.False(q.TryDequeue(out _));
    }

    [Fact]
    public void A_queue_drained_to_empty_and_refilled_keeps_order_and_counts()
    {
        var q = new MpscMessageQueue();
        var next = 0;
        var expected = 0;
        // Fill by 1, 2, 3... and drain all but (round % 3) each round: the queue empties often and never grows large.
        for (var round = 1; round <= 50; round++)
        {
            for (var k = 0; k < round % 7 + 1; k++)
            {
                q.Enqueue(ActorRefs.Nobody, E(next++));
            }
            Assert.Equal(next - expected, q.Count);
            var keep = round % 3;
            while (q.Count > keep)
            {
                Assert.True(q.TryDequeue(out var e));
                Assert.Equal(expected++, e.Message);
            }
            Assert.Equal(keep > 0 && next > expected, q.HasMessages);
        }
        Assert.Equal(Enumerable.Range(expected, next - expected).Cast<object>(), Drain(q));
        Assert.False(q.HasMessages);
    }

    [Fact]
    public void The_sender_travels_with_the_message()
    {
        var q = new MpscMessageQueue();
        var sender = new FakeRef("sender");
        q.Enqueue(ActorRefs.Nobody, new Envelope("m", sender));
        Assert.True(q.TryDequeue(out var e));
        Assert.Same(sender, e.Sender);
        Assert.Equal("m", e.Message);
    }

    [Fact]
    public void Peek_shows_the_head_and_leaves_it()
    {
        var q = new MpscMessageQueue();
        q.Enqueue(ActorRefs.Nobody, E("a"));
        q.Enqueue(ActorRefs.Nobody, E("b"));
        Assert.True(q.TryPeek(out var p));
        Assert.Equal("a", p.Message);
        Assert.True(q.TryPeek(out p));
        Assert.Equal("a", p.Message);
        Assert.Equal(2, q.Count);
        Assert.True(q.TryDequeue(out var e));
        Assert.Equal("a", e.Message);
        Assert.True(q.TryPeek(out p));
        Assert.Equal("b", p.Message);
        Assert.Equal(1, q.Count);
        Assert.True(q.TryDequeue(out _));
        Assert.False(q.TryPeek(out _));
        q.Enqueue(ActorRefs.Nobody, E("c"));
        Assert.True(q.TryPeek(out p));
        Assert.Equal("c", p.Message);
    }

    [Fact]
    public void CleanUp_moves_every_message_to_dead_letters_in_order_with_the_owner()
    {
        var q = new MpscMessageQueue();
        foreach (var m in new object[] { "a", 2, "c" })
        {
            q.Enqueue(ActorRefs.Nobody, E(m));
        }
        q.TryDequeue(out _);
        var owner = new FakeRef("owner");
        var dead = new RecordingQueue();
        q.CleanUp(owner, dead);
        Assert.Equal([(owner, (object)2), (owner, "c")], dead.Enqueued.Select(x => (x.Receiver, x.Envelope.Message)));
        Assert.False(q.HasMessages);
        Assert.Equal(0, q.Count);
        q.CleanUp(owner, dead);  // nothing left: nothing more
        Assert.Equal(2, dead.Enqueued.Count);
    }

    [Fact]
    public void A_dequeued_message_is_not_kept_alive_by_the_queue()
    {
        var q = new MpscMessageQueue();
        var weak = EnqueueAndDequeue(q);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(weak.TryGetTarget(out _));
        Assert.False(q.HasMessages);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference<object> EnqueueAndDequeue(MpscMessageQueue q)
    {
        var message = new object();
        q.Enqueue(ActorRefs.Nobody, E(message));
        Assert.True(q.TryDequeue(out var e));
        Assert.Same(message, e.Message);
        return new WeakReference<object>(message);
    }

    /// <summary>Producer threads enqueue (producer, sequence) pairs with seeded bursts and pauses while one consumer
    /// thread dequeues and a reader thread polls Count and HasMessages: every message arrives exactly once, each
    /// producer's in its own order, Count never goes out of range, and the queue ends empty.</summary>
    [Theory]
    [InlineData(1, 4, 20_000)]
    [InlineData(2, 8, 10_000)]
    [InlineData(3, 2, 50_000)]
    [InlineData(4, 16, 2_000)]
    public void Many_producers_one_consumer_lose_nothing_and_keep_each_producers_order(int seed, int producers, int perProducer)
    {
        output.WriteLine($"seed {seed}, {producers} producers x {perProducer} messages");
        var q = new MpscMessageQueue();
        var total = producers * perProducer;
        using var start = new ManualResetEventSlim();
        var enqueuesStarted = 0;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = new List<Thread>();
        for (var p = 0; p < producers; p++)
        {
            var id = p;
            var random = new Random(seed * 1000 + p);
            threads.Add(new Thread(() =>
            {
                start.Wait();
                for (var i = 0; i < perProducer; i++)
                {
                    Interlocked.Increment(ref enqueuesStarted);
                    q.Enqueue(ActorRefs.Nobody, E((id, i)));
                    if (random.Next(64) == 0)
                    {
                        Thread.Yield();
                    }
                }
            }) { IsBackground = true });
        }

        var next = new int[producers];
        var received = 0;
        var consumer = new Thread(() =>
        {
            var random = new Random(seed);
            start.Wait();
            while (received < total)
            {
                if (!q.TryDequeue(out var e))
                {
                    if (random.Next(4) == 0)
                    {
                        Thread.Yield();
                    }
                    continue;
                }
                var (id, i) = ((int, int))e.Message;
                if (next[id] != i)
                {
                    errors.Enqueue($"producer {id}: got {i}, expected {next[id]}");
                }
                next[id] = i + 1;
                received++;
                if (random.Next(1000) == 0)
                {
                    Thread.Sleep(0);
                }
            }
        }) { IsBackground = true };

        var readerDone = false;
        var reads = 0L;
        var reader = new Thread(() =>
        {
            start.Wait();
            while (!Volatile.Read(ref readerDone))
            {
                // Read in this order: whatever Count and HasMessages saw was enqueued before `started` is read.
                var count = q.Count;
                var has = q.HasMessages;
                var started = Volatile.Read(ref enqueuesStarted);
                if (count < 0 || count > started)
                {
                    errors.Enqueue($"Count {count} with {started} enqueues begun");
                }
                if (has && started == 0)
                {
                    errors.Enqueue("HasMessages before any enqueue");
                }
                reads++;
            }
        }) { IsBackground = true };

        foreach (var t in threads)
        {
            t.Start();
        }
        consumer.Start();
        reader.Start();
        start.Set();
        foreach (var t in threads)
        {
            Assert.True(t.Join(TimeSpan.FromMinutes(1)), "a producer did not finish");
        }
        Assert.True(consumer.Join(TimeSpan.FromMinutes(1)), $"the consumer got {received} of {total} messages");
        Volatile.Write(ref readerDone, true);
        Assert.True(reader.Join(TimeSpan.FromMinutes(1)));
        output.WriteLine($"{reads:N0} reads of Count and HasMessages on the side");

        Assert.Empty(errors);
        Assert.Equal(total, received);
        Assert.All(next, n => Assert.Equal(perProducer, n));
        Assert.False(q.HasMessages);
        Assert.Equal(0, q.Count);
        Assert.False(q.TryDequeue(out _));
    }

    /// <summary>Akka's scheduling protocol around the queue (<see cref="SimMailbox"/>) with pairs of mailboxes playing
    /// ping-pong on the thread pool, one message in flight per pair: each message lands as the other side's run ends,
    /// the moment a run that missed it would leave it unscheduled.</summary>
    /// <remarks>A first version's <see cref="MpscMessageQueue.HasMessages"/> looked at the link instead of the head;
    /// fork+exit+reap (depth 4, 1 parent) hung with it within seconds, every run, but this test and the next pass with it
    /// too (the window is a store still in a producer's store buffer): they check the protocol, not that race.</remarks>
    [Theory]
    [InlineData(1, 4, 100_000)]
    [InlineData(2, 16, 20_000)]
    public void Mailboxes_on_the_thread_pool_lose_no_wakeup(int seed, int pairs, int roundTrips)
    {
        output.WriteLine($"seed {seed}, {pairs} pairs x {roundTrips} round trips");
        var random = new Random(seed);
        using var done = new CountdownEvent(pairs);
        var boxes = new List<SimMailbox>();
        for (var p = 0; p < pairs; p++)
        {
            var left = roundTrips;
            SimMailbox a = null!, b = null!;
            var throughput = random.Next(1, 6);
            a = new SimMailbox(throughput, m =>
            {
                if (--left == 0)
                {
                    done.Signal();
                }
                else
                {
                    b.Send(m);
                }
            });
            b = new SimMailbox(throughput, a.Send);
            boxes.Add(a);
            boxes.Add(b);
        }
        for (var p = 0; p < pairs; p++)
        {
            boxes[2 * p].Send("ball");
        }
        var finished = done.Wait(TimeSpan.FromSeconds(60));
        var stuck = boxes.Count(box => box.Stuck);
        Assert.True(finished, $"{done.CurrentCount} of {pairs} pairs stopped; {stuck} mailboxes idle with a message queued");
        Assert.All(boxes, box => Assert.False(box.Stuck));
    }

    /// <summary>Many client mailboxes send requests to one server mailbox, which replies to each: the server's runs end
    /// all the time while clients enqueue, the other moment a run can miss a message (the task list's and the cgroup
    /// core's load in fork+exit+reap).</summary>
    [Theory]
    [InlineData(3, 8, 50_000)]
    [InlineData(4, 32, 10_000)]
    public void A_server_mailbox_with_many_clients_loses_no_wakeup(int seed, int clients, int requests)
    {
        output.WriteLine($"seed {seed}, {clients} clients x {requests} requests");
        var random = new Random(seed);
        using var done = new CountdownEvent(clients);
        var boxes = new SimMailbox[clients];
        var server = new SimMailbox(random.Next(1, 100), m => boxes[(int)m].Send(m));
        for (var c = 0; c < clients; c++)
        {
            var left = requests;
            var id = c;
            boxes[c] = new SimMailbox(random.Next(1, 6), m =>
            {
                if (--left == 0)
                {
                    done.Signal();
                }
                else
                {
                    server.Send(id);
                }
            });
        }
        for (var c = 0; c < clients; c++)
        {
            server.Send(c);
        }
        var finished = done.Wait(TimeSpan.FromSeconds(60));
        Assert.True(finished, $"{done.CurrentCount} of {clients} clients stopped; server stuck: {server.Stuck}, " +
                              $"clients stuck: {boxes.Count(b => b.Stuck)}");
    }

    /// <summary>The part of Akka's Mailbox that decides when a run is scheduled: enqueue then RegisterForExecution
    /// (SetAsScheduled returns at once, without a CAS, when a run is going); a run takes up to <c>throughput</c>
    /// messages, clears its scheduled bit with a CAS (SetAsIdle) and registers again if HasMessages.</summary>
    private sealed class SimMailbox(int throughput, Action<object> handle)
    {
        private readonly MpscMessageQueue _queue = new();
        private int _status;

        /// <summary>Idle with a message queued (after the test: a lost wakeup).</summary>
        public bool Stuck => Volatile.Read(ref _status) == 0 && _queue.HasMessages;

        public void Send(object message)
        {
            _queue.Enqueue(ActorRefs.Nobody, E(message));
            Register(hint: true);
        }

        private void Register(bool hint)
        {
            if ((hint || _queue.HasMessages) && Volatile.Read(ref _status) == 0 && Interlocked.CompareExchange(ref _status, 2, 0) == 0)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static box => box.Run(), this, preferLocal: true);
            }
        }

        private void Run()
        {
            for (var left = throughput; left > 0 && _queue.TryDequeue(out var e); left--)
            {
                handle(e.Message);
            }
            Interlocked.Exchange(ref _status, 0);
            Register(hint: false);
        }
    }

    /// <summary>The queue a mailbox gets from the MailboxType named in reference.conf.</summary>
    [Fact]
    public void The_mailbox_type_makes_an_unbounded_mpsc_queue()
    {
        var type = new MpscMailbox(null!, null!);
        var q = type.Create(ActorRefs.Nobody, null!);
        Assert.IsType<MpscMessageQueue>(q);
        Assert.IsAssignableFrom<Akka.Dispatch.IUnboundedMessageQueueSemantics>(q);
        Assert.Contains(typeof(Akka.Dispatch.IProducesMessageQueue<MpscMessageQueue>), typeof(MpscMailbox).GetInterfaces());
    }

    private sealed class RecordingQueue : IMessageQueue
    {
        public List<(IActorRef Receiver, Envelope Envelope)> Enqueued { get; } = [];

        public bool HasMessages => Enqueued.Count > 0;

        public int Count => Enqueued.Count;

        public void Enqueue(IActorRef receiver, Envelope envelope) => Enqueued.Add((receiver, envelope));

        public bool TryDequeue(out Envelope envelope) => throw new NotSupportedException();

        public void CleanUp(IActorRef owner, IMessageQueue deadletters) => throw new NotSupportedException();
    }

    /// <summary>A named stand-in for an actor ref (only identity matters here).</summary>
    private sealed class FakeRef(string name) : MinimalActorRef
    {
        public override ActorPath Path { get; } = new RootActorPath(Address.AllSystems) / name;

        public override IActorRefProvider Provider => throw new NotSupportedException();
    }
}
