using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Actors.Scheduling;

/// <summary>Holds every mailbox run submitted to the controlled dispatchers of one actor system and runs
/// them on the calling thread, one per step, in the order an <see cref="ISchedulingStrategy"/> chooses.</summary>
/// <remarks>
/// One controller per <see cref="ActorSystem"/>, shared by every controlled dispatcher id in it.
/// A step is one <c>Mailbox.Run</c>: all pending system messages plus at most one user message
/// (<see cref="ControlledDispatcher"/> sets the throughput so). Work can be parked from any thread (whoever
/// calls <c>Tell</c>); all state is guarded by one lock. Work submitted from another thread while
/// <see cref="Run"/> is running marks the controller <see cref="Tainted"/>: model work escaped the controller.
/// Call <see cref="ReleaseToThreadPool"/> before <c>ActorSystem.Terminate</c>, or termination hangs.
/// </remarks>
public sealed class SchedulingController
{
    private const string UnknownActor = "(unknown)";
    private const string RunnableMessage = "(runnable)";

    private static readonly ConditionalWeakTable<ActorSystem, SchedulingController> Controllers = new();

    private readonly object _lock = new();

    // Guarded by _lock. Invariant: sorted by (Label ordinal, Sequence); at most one entry per mailbox.
    private readonly List<PendingWork> _pending = [];

    // Guarded by _lock. Registered in ControlledDispatcher.Attach, removed in Detach.
    private readonly Dictionary<Mailbox, MailboxState> _mailboxes = new(ReferenceEqualityComparer.Instance);

    // Guarded by _lock. Message type -> readable short name; the same string instance for a type.
    private readonly Dictionary<Type, string> _messageNames = [];

    // Owned by the thread inside Run: the enabled list handed to strategies, reused each step.
    private readonly List<SchedulableItem> _enabled = [];

    // Owned by the thread inside Run: the footprint of the running step (labels it sent to), reused each step.
    private readonly List<string> _sentTo = [];
    private readonly List<string> _userSentTo = [];
    private readonly List<string> _systemSentTo = [];

    private long _nextSequence;
    private long _totalSteps;
    private int _runThreadId;
    private int _stepInRun;

    // The serial (value of _totalSteps) of the step running now, or -1 between steps. Written by the Run thread;
    // read under _lock by dispatches (a dispatch belongs to the step only on the Run thread).
    private long _currentStep = -1;

    // Serial of the first step of the current Run call: earlier serials are "from outside" for its records.
    private long _runStartSerial;

    // Set for a Run call whose steps are recorded (an afterStep callback or an IStepObserver strategy).
    private bool _recordFootprints;
    private int _waiters;
    private volatile bool _released;
    private string? _taint;

    private SchedulingController(ActorSystem system) => System = system;

    /// <summary>The actor system whose controlled dispatchers feed this controller.</summary>
    public ActorSystem System { get; }

    /// <summary>The controller of <paramref name="system"/> (created on first use).</summary>
    public static SchedulingController Get(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return Controllers.GetValue(system, static s => new SchedulingController(s));
    }

    /// <summary>Number of parked items.</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Snapshot of the parked items in order of parking (FIFO by sequence number).</summary>
    public IReadOnlyList<SchedulableItem> Pending
    {
        get
        {
            var items = new List<SchedulableItem>();
            lock (_lock)
            {
                foreach (var work in _pending)
                {
                    items.Add(work.CurrentItem(this));
                }
            }

            items.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
            return items;
        }
    }

    /// <summary>Steps run by this controller since it was created.</summary>
    public long TotalSteps => Interlocked.Read(ref _totalSteps);

    /// <summary>True when work was submitted from another thread while <see cref="Run"/> was running.</summary>
    public bool Tainted => Volatile.Read(ref _taint) is not null;

    /// <summary>What was submitted from another thread first, when <see cref="Tainted"/>.</summary>
    public string? TaintDescription => Volatile.Read(ref _taint);

    /// <summary>True once <see cref="ReleaseToThreadPool"/> was called.</summary>
    public bool Released => _released;

    /// <summary>Forgets the taint.</summary>
    public void ClearTaint() => Volatile.Write(ref _taint, null);

    /// <summary>Runs parked work on the calling thread, one item per step, until nothing is parked,
    /// <paramref name="maxSteps"/> steps ran, or <paramref name="afterStep"/> returns false.</summary>
    /// <remarks>Exceptions thrown by the strategy or the callback propagate; the work not yet run stays parked.
    /// Not reentrant: calling Run from a step or callback throws.</remarks>
    public RunOutcome Run(ISchedulingStrategy strategy, int maxSteps = int.MaxValue, Func<StepRecord, bool>? afterStep = null)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentOutOfRangeException.ThrowIfNegative(maxSteps);
        lock (_lock)
        {
            if (_runThreadId != 0)
            {
                throw new InvalidOperationException($"{nameof(SchedulingController)}.{nameof(Run)} is already running on thread {_runThreadId}.");
            }

            Volatile.Write(ref _runThreadId, Environment.CurrentManagedThreadId);
            _stepInRun = 0;
            _runStartSerial = _totalSteps;
        }

        var observer = strategy as IStepObserver;
        var record = afterStep is not null || observer is not null;
        _recordFootprints = observer?.WantsFootprints ?? record;

        var steps = 0;
        var stopped = false;
        var quiescent = false;
        try
        {
            while (steps < maxSteps)
            {
                int count;
                lock (_lock)
                {
                    count = _pending.Count;
                    if (count == 0)
                    {
                        quiescent = true;
                        break;
                    }

                    _enabled.Clear();
                    for (var i = 0; i < count; i++)
                    {
                        _enabled.Add(_pending[i].CurrentItem(this));
                    }
                }

                var choice = count == 1 && strategy is FifoStrategy ? 0 : strategy.Choose(_enabled, steps);
                if ((uint)choice >= (uint)count)
                {
                    throw new InvalidOperationException($"{strategy.Describe()} chose index {choice} of {count} enabled items at step {steps}.");
                }

                var item = _enabled[choice];
                PendingWork work;
                lock (_lock)
                {
                    var index = choice;
                    if (index >= _pending.Count || !ReferenceEquals(_pending[index].Item, item))
                    {
                        // Another (tainting) thread parked work since the list was built: find the item again.
                        index = IndexOfItem(item);
                    }

                    work = _pending[index];
                    _pending.RemoveAt(index);
                    _currentStep = _totalSteps;
                }

                var receivedFrom = StepRecord.NoMessage;
                try
                {
                    work.Runnable.Run();
                }
                finally
                {
                    lock (_lock)
                    {
                        _currentStep = -1;
                        if (work.State is { } state)
                        {
                            receivedFrom = state.DropProcessed(_runStartSerial);
                        }
                    }

                    steps++;
                    Interlocked.Increment(ref _totalSteps);
                    Volatile.Write(ref _stepInRun, steps);
                }

                if (record)
                {
                    string[] sentTo = _sentTo.Count == 0 ? [] : [.. _sentTo];
                    var step = new StepRecord(steps - 1, choice, count, item.Actor, item.Message)
                    {
                        SentTo = sentTo,
                        UserSentTo = _userSentTo.Count == _sentTo.Count ? sentTo : [.. _userSentTo],
                        SystemSentTo = _systemSentTo.Count == 0 ? [] : [.. _systemSentTo],
                        ReceivedFrom = receivedFrom,
                    };
                    _sentTo.Clear();
                    _userSentTo.Clear();
                    _systemSentTo.Clear();
                    observer?.OnStep(step);
                    if (afterStep is not null && !afterStep(step))
                    {
                        stopped = true;
                        break;
                    }
                }
            }

            if (!quiescent)
            {
                quiescent = PendingCount == 0;
            }
        }
        finally
        {
            _sentTo.Clear();
            _userSentTo.Clear();
            _systemSentTo.Clear();
            _recordFootprints = false;
            lock (_lock)
            {
                Volatile.Write(ref _runThreadId, 0);
            }
        }

        return new RunOutcome(steps, quiescent, stopped, !stopped && !quiescent && steps >= maxSteps);
    }

    /// <summary>Runs parked work in FIFO order (lowest sequence first) until nothing is parked or
    /// <paramref name="maxSteps"/> steps ran.</summary>
    public RunOutcome RunToQuiescence(int maxSteps = int.MaxValue) => Run(FifoStrategy.Instance, maxSteps);

    /// <summary>Blocks up to <paramref name="timeout"/> until at least <paramref name="count"/> items are parked.</summary>
    /// <remarks>Top-level actors start asynchronously via the <c>/user</c> guardian, so their first run is parked
    /// from the guardian's thread some time after <c>ActorOf</c> returns.</remarks>
    public bool WaitForPending(int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        lock (_lock)
        {
            _waiters++;
            try
            {
                while (_pending.Count < count)
                {
                    var left = timeout - clock.Elapsed;
                    if (left <= TimeSpan.Zero || _released)
                    {
                        return false;
                    }

                    Monitor.Wait(_lock, left);
                }

                return true;
            }
            finally
            {
                _waiters--;
            }
        }
    }

    /// <summary>Stops parking: everything parked and everything submitted later runs on the thread pool.</summary>
    /// <remarks>Call before <c>ActorSystem.Terminate</c> (the guardians' stop messages would otherwise wait
    /// for a controller that nobody runs). Irreversible for this actor system.</remarks>
    public void ReleaseToThreadPool()
    {
        List<PendingWork> release;
        lock (_lock)
        {
            if (_released)
            {
                return;
            }

            _released = true;
            release = [.. _pending];
            _pending.Clear();
            foreach (var state in _mailboxes.Values)
            {
                state.Shadow?.Clear();
                state.Senders.Clear();
            }

            _mailboxes.Clear();
            Monitor.PulseAll(_lock);
        }

        release.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
        foreach (var work in release)
        {
            QueueOnThreadPool(work.Runnable);
        }
    }

    internal void Register(Mailbox? mailbox, string label)
    {
        lock (_lock)
        {
            if (!_released && mailbox is not null)
            {
                var state = new MailboxState(mailbox, label, MessageQueuePeek.For(mailbox.MessageQueue.GetType()));
                _mailboxes.Remove(mailbox);
                _mailboxes.Add(mailbox, state);
                if (_recordFootprints && _currentStep >= 0 && Environment.CurrentManagedThreadId == _runThreadId)
                {
                    // A child created by the running step: its Create is a system message from this step.
                    AddSent(label, system: true);
                }
            }
        }
    }

    internal void Unregister(Mailbox? mailbox)
    {
        if (mailbox is null)
        {
            return;
        }

        lock (_lock)
        {
            if (_mailboxes.Remove(mailbox, out var state))
            {
                state.Detached = true;
            }
        }
    }

    /// <summary>Called for every user message sent to a controlled actor, before it is enqueued: checks the
    /// sending thread, records which step sent it (see <see cref="StepRecord.ReceivedFrom"/>), adds the receiver to
    /// the running step's footprint, and feeds the shadow queue of mailboxes that cannot be peeked.</summary>
    internal void OnDispatch(Mailbox? mailbox, object message)
    {
        if (_released || mailbox is null)
        {
            return;
        }

        lock (_lock)
        {
            if (_released || !_mailboxes.TryGetValue(mailbox, out var state))
            {
                return;
            }

            var onRunThread = _runThreadId != 0 && _runThreadId == Environment.CurrentManagedThreadId;
            if (_runThreadId != 0 && !onRunThread)
            {
                CheckThread(state.Label, NameOf(message));
            }

            var inStep = onRunThread && _currentStep >= 0;
            state.Senders.Enqueue(inStep ? _currentStep : MailboxState.Outside);
            state.Shadow?.Enqueue(NameOf(message));
            if (inStep && _recordFootprints)
            {
                AddSent(state.Label, system: false);
            }
        }
    }

    /// <summary>Called for every system message sent to a controlled actor (watch, stop, failure...): adds the
    /// receiver to the running step's footprint.</summary>
    internal void OnSystemDispatch(Mailbox? mailbox)
    {
        if (!_recordFootprints || mailbox is null || Environment.CurrentManagedThreadId != Volatile.Read(ref _runThreadId))
        {
            return;
        }

        lock (_lock)
        {
            if (_currentStep >= 0 && _mailboxes.TryGetValue(mailbox, out var state))
            {
                AddSent(state.Label, system: true);
            }
        }
    }

    /// <summary>Parks <paramref name="runnable"/> (a mailbox or a dispatcher task).</summary>
    internal void Park(IRunnable runnable)
    {
        if (!_released)
        {
            lock (_lock)
            {
                if (!_released)
                {
                    var mailbox = runnable as Mailbox;
                    MailboxState? state = null;
                    if (mailbox is not null)
                    {
                        _mailboxes.TryGetValue(mailbox, out state);
                    }

                    var label = state?.Label ?? (mailbox is null ? SchedulableItem.DispatcherTask : UnknownActor);
                    var fallback = mailbox is null ? RunnableMessage : SchedulableItem.SystemOnly;
                    CheckThread(label, fallback);
                    var work = new PendingWork(runnable, state, label, _nextSequence++, fallback);
                    Insert(work);

                    if (_waiters > 0)
                    {
                        Monitor.PulseAll(_lock);
                    }

                    return;
                }
            }
        }

        QueueOnThreadPool(runnable);
    }

    internal static string LabelOf(ActorPath path)
    {
        var elements = path.Elements;
        var sb = new StringBuilder();
        var start = elements.Count > 1 && elements[0] == "user" ? 1 : 0;
        if (start == 0)
        {
            sb.Append('/');
        }

        for (var i = start; i < elements.Count; i++)
        {
            if (i > start)
            {
                sb.Append('/');
            }

            sb.Append(elements[i]);
        }

        return sb.ToString();
    }

    internal static string ReadableName(Type type)
    {
        var name = StripArity(type.Name);
        for (var outer = type.DeclaringType; outer is not null; outer = outer.DeclaringType)
        {
            name = StripArity(outer.Name) + "." + name;
        }

        return name;

        static string StripArity(string n)
        {
            var tick = n.IndexOf('`', StringComparison.Ordinal);
            return tick < 0 ? n : n[..tick];
        }
    }

    private static void QueueOnThreadPool(IRunnable runnable) =>
        ThreadPool.UnsafeQueueUserWorkItem(static r => r.Run(), runnable, preferLocal: false);

    // Run thread, caller holds _lock. Few targets per step: linear search keeps them distinct without hashing.
    private void AddSent(string label, bool system)
    {
        if (!_sentTo.Contains(label))
        {
            _sentTo.Add(label);
        }

        var list = system ? _systemSentTo : _userSentTo;
        if (!list.Contains(label))
        {
            list.Add(label);
        }
    }

    // Caller holds _lock.
    private string NameOf(object message)
    {
        var type = message.GetType();
        if (!_messageNames.TryGetValue(type, out var name))
        {
            name = ReadableName(type);
            _messageNames.Add(type, name);
        }

        return name;
    }

    // Caller holds _lock.
    private void CheckThread(string label, string message)
    {
        var runThread = _runThreadId;
        if (runThread != 0 && _taint is null && Environment.CurrentManagedThreadId != runThread)
        {
            Volatile.Write(
                ref _taint,
                $"work for '{label}' ({message}) was submitted from thread {Environment.CurrentManagedThreadId} " +
                $"while Run was running on thread {runThread}, after {Volatile.Read(ref _stepInRun)} step(s) of that run");
        }
    }

    // Caller holds _lock. The new sequence number is the largest, so the entry goes after every entry
    // whose label is <= its label.
    private void Insert(PendingWork work)
    {
        int lo = 0, hi = _pending.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (string.CompareOrdinal(_pending[mid].Label, work.Label) <= 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        _pending.Insert(lo, work);
    }

    // Caller holds _lock.
    private int IndexOfItem(SchedulableItem item)
    {
        for (var i = 0; i < _pending.Count; i++)
        {
            if (_pending[i].Sequence == item.Sequence)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"Chosen item {item} is no longer parked.");
    }

    /// <summary>Per-mailbox bookkeeping. Guarded by the controller lock.</summary>
    private sealed class MailboxState
    {
        private readonly Func<IMessageQueue, object?>? _peek;

        public MailboxState(Mailbox mailbox, string label, Func<IMessageQueue, object?>? peek)
        {
            Mailbox = mailbox;
            Label = label;
            _peek = peek;
            Shadow = peek is null ? new Queue<string>() : null;
        }

        public Mailbox Mailbox { get; }

        public string Label { get; }

        /// <summary>For queues that cannot be peeked: names of the user messages in the mailbox, in order.
        /// Invariant: mirrors the real queue, except for messages enqueued without Dispatch (e.g. unstash).</summary>
        public Queue<string>? Shadow { get; }

        /// <summary>The name of the head user message, or null when there is none.</summary>
        public string? HeadName(SchedulingController owner)
        {
            if (_peek is null)
            {
                return Shadow!.Count > 0 ? Shadow.Peek() : null;
            }

            var head = _peek(Mailbox.MessageQueue);
            return head is null ? null : owner.NameOf(head);
        }

        /// <summary>Set when the actor terminated (its dispatcher detached it).</summary>
        public bool Detached { get; set; }

        /// <summary>Serials of the steps that sent the user messages in the mailbox, in order (<see cref="Outside"/>
        /// for messages sent outside a step, <see cref="Lost"/> after the queue got messages without Dispatch).</summary>
        public Queue<long> Senders { get; } = new();

        /// <summary>After a run: drops the entries of the messages the run dequeued and returns the
        /// <see cref="StepRecord.ReceivedFrom"/> of the first one (relative to <paramref name="runStart"/>).</summary>
        public int DropProcessed(long runStart)
        {
            if (Detached)
            {
                // The actor stopped in this run: whatever was queued went to dead letters unprocessed.
                Shadow?.Clear();
                Senders.Clear();
                return StepRecord.NoMessage;
            }

            var left = Mailbox.MessageQueue.Count;
            var excess = Senders.Count - left;
            if (Shadow is not null)
            {
                for (var drop = Shadow.Count - left; drop > 0; drop--)
                {
                    Shadow.Dequeue();
                }
            }

            if (excess < 0)
            {
                // Messages arrived without Dispatch (e.g. unstash): who sent what is unknown until they drained.
                Senders.Clear();
                for (var i = 0; i < left; i++)
                {
                    Senders.Enqueue(Lost);
                }

                return StepRecord.Unknown;
            }

            if (excess == 0)
            {
                return StepRecord.NoMessage;
            }

            var first = Senders.Dequeue();
            for (excess--; excess > 0; excess--)
            {
                Senders.Dequeue();
            }

            return first switch
            {
                Lost => StepRecord.Unknown,
                Outside => StepRecord.FromOutside,
                _ when first < runStart => StepRecord.FromOutside,
                _ => (int)Math.Min(first - runStart, int.MaxValue),
            };
        }

        /// <summary>A <see cref="Senders"/> entry for a message sent outside any step.</summary>
        public const long Outside = -1;

        /// <summary>A <see cref="Senders"/> entry whose sender is unknown.</summary>
        public const long Lost = -2;
    }

    /// <summary>One parked runnable. Guarded by the controller lock.</summary>
    private sealed class PendingWork(IRunnable runnable, MailboxState? state, string label, long sequence, string fallbackMessage)
    {
        public IRunnable Runnable { get; } = runnable;

        public MailboxState? State { get; } = state;

        public string Label { get; } = label;

        public long Sequence { get; } = sequence;

        public SchedulableItem? Item { get; private set; }

        /// <summary>The item as of now. While a mailbox is parked nobody dequeues from it, so once it shows a
        /// user message the head cannot change; a system-only item is checked again each time.</summary>
        public SchedulableItem CurrentItem(SchedulingController owner)
        {
            var item = Item;
            if (item is not null && (State is null || !ReferenceEquals(item.Message, SchedulableItem.SystemOnly)))
            {
                return item;
            }

            var message = State?.HeadName(owner) ?? fallbackMessage;
            if (item is null || !ReferenceEquals(item.Message, message))
            {
                item = new SchedulableItem(Sequence, Label, message);
                Item = item;
            }

            return item;
        }
    }
}
