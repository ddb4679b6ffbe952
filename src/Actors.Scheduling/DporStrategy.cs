namespace Actors.Scheduling;

/// <summary>Exhaustive stateless depth-first search with partial-order reduction: source-DPOR with sleep sets
/// (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014, Algorithm 1). It explores at least one schedule of every
/// Mazurkiewicz trace (class of schedules equal up to swapping adjacent independent steps) instead of every
/// schedule, and reports <see cref="Exhausted"/> when all were explored.</summary>
/// <remarks>
/// <para><b>Steps and footprints.</b> A step is one mailbox run (system messages plus at most one user message).
/// The strategy observes each step it chose (<see cref="IStepObserver"/>): the actor that ran, the mailboxes it
/// sent user or system messages to (<see cref="StepRecord.SentTo"/>, <see cref="StepRecord.SystemSentTo"/>; a
/// created child counts as a system message to it) and which earlier step sent the user message it processed
/// (<see cref="StepRecord.ReceivedFrom"/>).</para>
/// <para><b>Independence.</b> Steps u and w of one schedule, u first, are <i>dependent</i> when any of these holds,
/// and independent otherwise:
/// (1) they ran on the same actor;
/// (2) one sent a system message to the other's actor (the receiver's next run processes it whatever else it does);
/// (3) they appended to a common queue: both sent a user message to one mailbox, or both a system message (the
/// order of two appends to a queue is observable; system messages have their own queue, drained first on the
/// receiver's next run, so a user append and a system append to one mailbox commute);
/// (4) u sent a user message to w's actor and w processed that very message, or w processed no user message (or
/// the controller lost track of that mailbox) - if w processed a user message that was queued before u's, u's
/// append and w's dequeue commute;
/// (5) w sent a user message to u's actor and u processed no user message (or lost track);
/// (6) the pair of actors, or the pair of steps, is declared dependent in the constructor (e.g. the scenario driver,
/// which reads the task list's state when it issues the next call, and the task list).
/// For two items enabled in the same state (sleep sets) the same rules apply, except that neither can have
/// processed the other's message.</para>
/// <para><b>Why swapping independent steps is harmless.</b> An actor's step is a function of its own state and its
/// mailbox: its run takes all pending system messages and the head user message. Steps of different actors
/// that send no system message to each other and do not append to a common mailbox touch disjoint state: neither
/// changes the other's actor state, system queue or head message (an append behind a head that the other step
/// takes does not change what it takes; a system message and a user message go to different queues), so both
/// orders lead to the same actors' states and the same queues, and
/// each step sends the same messages in either order. Actors created in a step are new mailboxes that only their
/// creator can know at that point. So every schedule is equivalent to an explored one with the same final state,
/// and the same per-actor sequence of handled messages (transcripts, expectations, quiescent invariants,
/// deadlocks, and model exceptions are preserved).</para>
/// <para><b>Limits of the argument (be aware):</b> state shared without messages is invisible to footprints. In the
/// kernel model these are atomics: namespace and task ids drawn from global counters (swapping two independent
/// creations swaps the ids, and so renames actors such as <c>ns0/ns3</c> or <c>tasks/t5</c>, which transcripts do
/// not show: pruning one of two such schedules is intended); namespace reference counts (whichever last
/// <c>Put</c> runs sends the same <c>Destroy</c>); and the max-pid-namespaces count (two namespace creations in
/// different parent namespaces competing for the last slot are treated as independent). Observers that read
/// several actors' state between steps (step invariants) only see the states of the explored schedules: a
/// violation that shows only in an intermediate state of a pruned, equivalent schedule can be missed, while one in
/// a final state cannot. Readers of actor state other than observers must be declared as dependent pairs.</para>
/// <para><b>Algorithm.</b> Each iteration replays the current path's prefix up to the deepest node that has an
/// unexplored backtrack entry outside its sleep set, takes that entry, and extends the path; a new node starts with
/// one enabled item that is not asleep. After each new step the strategy computes its happens-before set within
/// the current <c>Run</c> call (steps of different <c>Run</c> calls, e.g. different parallel blocks of a scenario,
/// are ordered by a quiescent point and never race), and for every reversible race (e, e') - dependent steps of
/// different actors with no step between them in happens-before - it adds to the backtrack set before e some
/// initial item of v = (the steps after e that do not happen after e) then e', unless one is already there or
/// asleep. A race is not reversible when e' processed e's user message or e' needs e's system message to exist.
/// Sleep sets: the items explored before at a node, and inherited sleepers independent of the step taken, are not
/// taken again below it. A state where every enabled item is asleep is <i>sleep-set blocked</i>: every
/// continuation is equivalent to an explored one; the schedule runs on (choice 0, unrecorded) and is counted in
/// <see cref="SleepBlocked"/>.</para>
/// <para><b>Determinism.</b> Like <see cref="DfsStrategy"/>, a replayed prefix must show the same enabled items
/// and the same footprints, or a <see cref="NondeterminismException"/> is thrown. Schedules are named by choice
/// indices and actor labels and replay with <see cref="ReplayStrategy"/>.</para>
/// </remarks>
public sealed class DporStrategy : ISchedulingStrategy, IStepObserver
{
    private readonly List<Node> _nodes = [];
    private readonly List<StepRecord> _nextSleep = [];
    private readonly HashSet<(string, string)> _dependentPairs;
    private readonly Func<StepRecord, StepRecord, bool>? _alsoDependent;
    private ulong[] _scratch = new ulong[1];
    private ulong[] _vset = new ulong[1];
    private int _depth;
    private int _position;
    private int _divergence;
    private bool _blocked;
    private bool _started;

    /// <summary>Creates the strategy.</summary>
    /// <param name="dependentActors">Pairs of actor labels whose steps are always dependent (order of a pair does not
    /// matter): actors that read each other's state other than by messages.</param>
    /// <param name="alsoDependent">Optional finer declaration: returns true when two steps of different actors are
    /// dependent although their footprints do not say so (called with either order).</param>
    public DporStrategy(IEnumerable<(string, string)>? dependentActors = null, Func<StepRecord, StepRecord, bool>? alsoDependent = null)
    {
        _dependentPairs = [];
        foreach (var (a, b) in dependentActors ?? [])
        {
            ArgumentNullException.ThrowIfNull(a);
            ArgumentNullException.ThrowIfNull(b);
            _dependentPairs.Add((a, b));
            _dependentPairs.Add((b, a));
        }

        _alsoDependent = alsoDependent;
    }

    /// <summary>Schedules started so far (since iteration 0).</summary>
    public long Schedules { get; private set; }

    /// <summary>Schedules that reached a sleep-set blocked state (their rest is redundant).</summary>
    public long SleepBlocked { get; private set; }

    /// <summary>Reversible races found so far.</summary>
    public long Races { get; private set; }

    /// <summary>True when every schedule (up to equivalence) was explored.</summary>
    public bool Exhausted { get; private set; }

    /// <summary>The choice indices of the current schedule's recorded nodes (replayable with
    /// <see cref="ChoiceReplayStrategy"/> up to a sleep-set blocked point).</summary>
    public IReadOnlyList<int> CurrentChoices
    {
        get
        {
            var choices = new int[Math.Min(_position, _depth)];
            for (var i = 0; i < choices.Length; i++)
            {
                choices[i] = _nodes[i].Chosen;
            }

            return choices;
        }
    }

    /// <inheritdoc />
    public bool PrepareIteration(int iteration)
    {
        _position = 0;
        _blocked = false;
        _nextSleep.Clear();
        if (iteration == 0 || !_started)
        {
            _started = true;
            _depth = 0;
            _divergence = 0;
            Exhausted = false;
            Schedules = 1;
            SleepBlocked = 0;
            Races = 0;
            return true;
        }

        if (Exhausted)
        {
            return false;
        }

        for (var k = _depth - 1; k >= 0; k--)
        {
            var node = _nodes[k];
            for (var i = 0; i < node.Count; i++)
            {
                if (node.Backtrack[i] && !node.Done[i] && !node.Asleep[i])
                {
                    node.Done[i] = true;
                    node.Chosen = i;
                    node.Event = null;
                    _depth = k + 1;
                    _divergence = k;
                    Schedules++;
                    return true;
                }
            }
        }

        _depth = 0;
        Exhausted = true;
        return false;
    }

    /// <inheritdoc />
    public int Choose(IReadOnlyList<SchedulableItem> enabled, int stepIndex)
    {
        ArgumentNullException.ThrowIfNull(enabled);
        if (_blocked)
        {
            return 0;
        }

        var position = _position++;
        if (position < _depth)
        {
            var node = _nodes[position];
            node.CheckSame(enabled, position, Schedules);
            return node.Chosen;
        }

        var fresh = position < _nodes.Count ? _nodes[position] : Add();
        fresh.Reset(enabled);
        foreach (var sleeper in _nextSleep)
        {
            var index = fresh.IndexOf(sleeper.Actor);
            if (index >= 0 && string.Equals(fresh.Messages[index], sleeper.Message, StringComparison.Ordinal))
            {
                fresh.Asleep[index] = true;
                fresh.Sleep.Add(sleeper);
            }
        }

        _nextSleep.Clear();
        for (var i = 0; i < fresh.Count; i++)
        {
            if (!fresh.Asleep[i])
            {
                fresh.Backtrack[i] = true;
                fresh.Done[i] = true;
                fresh.Chosen = i;
                _depth = position + 1;
                return i;
            }
        }

        // Every enabled item is asleep: whatever runs next repeats an explored trace.
        _blocked = true;
        _position = position;
        SleepBlocked++;
        return 0;
    }

    /// <inheritdoc />
    public void OnStep(StepRecord step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (_blocked || _position == 0 || _position > _depth)
        {
            return;
        }

        var position = _position - 1;
        var node = _nodes[position];
        if (position < _divergence)
        {
            if (node.Event is { } old && !old.Equals(step))
            {
                throw new NondeterminismException(
                    position,
                    $"DPOR replay diverged at step {position} of schedule {Schedules}: the step '{step}' differs from " +
                    $"'{old}' when this prefix was first explored (what it sent or received).");
            }

            return;
        }

        var blockStart = position - step.Index;
        if (step.Index < 0 || blockStart < 0 || (step.Index > 0 && _nodes[position - 1].BlockStart != blockStart))
        {
            throw new InvalidOperationException($"Step {step} does not follow the steps chosen by this strategy (step {position}).");
        }

        node.Event = step;
        node.BlockStart = blockStart;
        if (step.Index == 0 && node.Sleep.Count > 0)
        {
            // Sleepers never outlive a quiescent point (they stay enabled); a new Run call starts without any.
            for (var i = 0; i < node.Count; i++)
            {
                node.Backtrack[i] |= node.Asleep[i];
                node.Asleep[i] = false;
            }

            node.Sleep.Clear();
        }

        ComputeHappensBefore(node, position, blockStart);
        DetectRaces(node, position, blockStart);

        // The sleep set of the next node: the sleepers here and the items explored here before, if independent.
        _nextSleep.Clear();
        foreach (var sleeper in node.Sleep)
        {
            if (!Dependent(sleeper, step, ordered: false))
            {
                _nextSleep.Add(sleeper);
            }
        }

        foreach (var explored in node.Explored)
        {
            if (!Dependent(explored, step, ordered: false))
            {
                _nextSleep.Add(explored);
            }
        }

        node.Explored.Add(step);
    }

    /// <inheritdoc />
    public string Describe() => "dfs(dpor)";

    private Node Add()
    {
        var node = new Node();
        _nodes.Add(node);
        return node;
    }

    private void ComputeHappensBefore(Node node, int position, int blockStart)
    {
        var index = position - blockStart;
        var words = (index >> 6) + 1;
        node.EnsureBits(words);
        var step = node.Event!;
        for (var j = blockStart; j < position; j++)
        {
            var earlier = _nodes[j];
            if (Dependent(earlier.Event!, step, ordered: true))
            {
                var local = j - blockStart;
                node.Preds[local >> 6] |= 1UL << (local & 63);
                node.Hb[local >> 6] |= 1UL << (local & 63);
                var hb = earlier.Hb;
                for (var w = 0; w < ((local >> 6) + 1); w++)
                {
                    node.Hb[w] |= hb[w];
                }
            }
        }
    }

    private void DetectRaces(Node node, int position, int blockStart)
    {
        var index = position - blockStart;
        if (index == 0)
        {
            return;
        }

        var words = (index >> 6) + 1;
        if (_scratch.Length < words)
        {
            _scratch = new ulong[words * 2];
            _vset = new ulong[words * 2];
        }

        // Steps implied through another direct predecessor are not races.
        var implied = _scratch;
        Array.Clear(implied, 0, words);
        for (var j = 0; j < index; j++)
        {
            if (Bit(node.Preds, j))
            {
                var hb = _nodes[blockStart + j].Hb;
                for (var w = 0; w < ((j >> 6) + 1); w++)
                {
                    implied[w] |= hb[w];
                }
            }
        }

        var step = node.Event!;
        for (var j = index - 1; j >= 0; j--)
        {
            if (!Bit(node.Preds, j) || Bit(implied, j))
            {
                continue;
            }

            var racer = _nodes[blockStart + j];
            var e = racer.Event!;
            if (string.Equals(e.Actor, step.Actor, StringComparison.Ordinal) || step.ReceivedFrom == j)
            {
                continue; // program order, or e' processes e's message: not reversible
            }

            AddBacktrack(racer, blockStart, j, node, index);
        }
    }

    // Race between the step at local index j (node `racer`, state E' before it) and the new step at local index i.
    private void AddBacktrack(Node racer, int blockStart, int j, Node last, int i)
    {
        // v = the steps after j that do not happen after j, then the new step.
        var vset = _vset;
        Array.Clear(vset, 0, (i >> 6) + 1);
        for (var x = j + 1; x < i; x++)
        {
            if (!Bit(_nodes[blockStart + x].Hb, j))
            {
                vset[x >> 6] |= 1UL << (x & 63);
            }
        }

        // Not reversible when the new step's actor is not enabled before e and either nothing in v enables it first,
        // or it processes only system messages and e sent it one (e created it, or woke it).
        var step = last.Event!;
        var lastIsInitial = !Intersects(last.Preds, vset, (i >> 6) + 1);
        if (racer.IndexOf(step.Actor) < 0 &&
            (lastIsInitial ||
             (step.ReceivedFrom == StepRecord.NoMessage && Contains(racer.Event!.SystemSentTo, step.Actor))))
        {
            return;
        }

        Races++;
        var candidate = -1;
        for (var x = j + 1; x <= i; x++)
        {
            string actor;
            if (x == i)
            {
                if (!lastIsInitial)
                {
                    continue;
                }

                actor = step.Actor;
            }
            else
            {
                if (!Bit(vset, x))
                {
                    continue;
                }

                var n = _nodes[blockStart + x];
                if (Intersects(n.Hb, vset, (x >> 6) + 1))
                {
                    continue;
                }

                actor = n.Event!.Actor;
            }

            var at = racer.IndexOf(actor);
            if (at < 0)
            {
                continue;
            }

            if (racer.Backtrack[at] || racer.Asleep[at])
            {
                return; // an initial of v is (or was) explored from E', or is covered by a sleeping branch
            }

            if (candidate < 0)
            {
                candidate = at;
            }
        }

        if (candidate >= 0)
        {
            racer.Backtrack[candidate] = true;
        }
    }

    private bool Dependent(StepRecord u, StepRecord w, bool ordered)
    {
        if (string.Equals(u.Actor, w.Actor, StringComparison.Ordinal))
        {
            return true;
        }

        if ((_dependentPairs.Count > 0 && _dependentPairs.Contains((u.Actor, w.Actor))) ||
            (_alsoDependent is not null && (_alsoDependent(u, w) || _alsoDependent(w, u))))
        {
            return true;
        }

        if (Contains(u.SystemSentTo, w.Actor) || Contains(w.SystemSentTo, u.Actor))
        {
            return true;
        }

        // Two appends to one queue: user and user, or system and system. The system queue is separate and is drained
        // first on the receiver's next run, so a system append and a user append to one mailbox commute.
        if (Intersects(u.UserSentTo, w.UserSentTo) || Intersects(u.SystemSentTo, w.SystemSentTo))
        {
            return true;
        }

        if (Contains(u.UserSentTo, w.Actor) &&
            (NoUserMessage(w) || (ordered && w.ReceivedFrom == u.Index)))
        {
            return true;
        }

        return Contains(w.UserSentTo, u.Actor) && NoUserMessage(u);
    }

    private static bool NoUserMessage(StepRecord step) =>
        step.ReceivedFrom is StepRecord.NoMessage or StepRecord.Unknown;

    private static bool Contains(IReadOnlyList<string> labels, string label)
    {
        for (var i = 0; i < labels.Count; i++)
        {
            if (string.Equals(labels[i], label, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Intersects(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        for (var i = 0; i < a.Count; i++)
        {
            if (Contains(b, a[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Bit(ulong[] bits, int i) => (bits[i >> 6] & (1UL << (i & 63))) != 0;

    private static bool Intersects(ulong[] a, ulong[] b, int words)
    {
        for (var w = 0; w < words; w++)
        {
            if ((a[w] & b[w]) != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One state on the current path: what was enabled, what was and is to be explored from it, and the
    /// step taken from it in the current schedule.</summary>
    private sealed class Node
    {
        public string[] Actors = new string[4];
        public string[] Messages = new string[4];
        public bool[] Backtrack = new bool[4];
        public bool[] Done = new bool[4];
        public bool[] Asleep = new bool[4];
        public ulong[] Hb = new ulong[1];
        public ulong[] Preds = new ulong[1];
        public int Count;
        public int Chosen;
        public int BlockStart;
        public StepRecord? Event;

        /// <summary>Sleepers inherited on arrival (items enabled here, asleep).</summary>
        public List<StepRecord> Sleep { get; } = [];

        /// <summary>The steps explored from here so far, as they ran.</summary>
        public List<StepRecord> Explored { get; } = [];

        public void Reset(IReadOnlyList<SchedulableItem> enabled)
        {
            Count = enabled.Count;
            if (Actors.Length < Count)
            {
                var size = Math.Max(Count, Actors.Length * 2);
                Actors = new string[size];
                Messages = new string[size];
                Backtrack = new bool[size];
                Done = new bool[size];
                Asleep = new bool[size];
            }

            for (var i = 0; i < Count; i++)
            {
                Actors[i] = enabled[i].Actor;
                Messages[i] = enabled[i].Message;
                Backtrack[i] = false;
                Done[i] = false;
                Asleep[i] = false;
            }

            Chosen = 0;
            Event = null;
            Sleep.Clear();
            Explored.Clear();
        }

        public int IndexOf(string actor)
        {
            for (var i = 0; i < Count; i++)
            {
                if (string.Equals(Actors[i], actor, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            return -1;
        }

        public void EnsureBits(int words)
        {
            if (Hb.Length < words)
            {
                Hb = new ulong[words * 2];
                Preds = new ulong[words * 2];
            }
            else
            {
                Array.Clear(Hb, 0, words);
                Array.Clear(Preds, 0, words);
            }
        }

        public void CheckSame(IReadOnlyList<SchedulableItem> enabled, int position, long schedule)
        {
            var same = enabled.Count == Count;
            for (var i = 0; same && i < Count; i++)
            {
                same = string.Equals(enabled[i].Actor, Actors[i], StringComparison.Ordinal) &&
                       string.Equals(enabled[i].Message, Messages[i], StringComparison.Ordinal);
            }

            if (!same)
            {
                var was = new List<SchedulableItem>(Count);
                for (var i = 0; i < Count; i++)
                {
                    was.Add(new SchedulableItem(i, Actors[i], Messages[i]));
                }

                throw new NondeterminismException(
                    position,
                    $"DPOR replay diverged at step {position} of schedule {schedule}: enabled now " +
                    $"{DfsStrategy.Describe(enabled)}, but {DfsStrategy.Describe(was)} when this prefix was first explored " +
                    $"(then chose {Chosen}).");
            }
        }
    }
}
