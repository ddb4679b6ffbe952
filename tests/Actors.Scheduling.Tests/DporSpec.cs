using Akka.Actor;
using Xunit.Abstractions;

namespace Actors.Scheduling.Tests;

/// <summary>Step footprints and the partial-order-reduced DFS (<see cref="DporStrategy"/>) against the plain one.</summary>
public sealed class DporSpec
{
    private readonly ITestOutputHelper _output;

    public DporSpec(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Footprints_must_name_the_receivers_and_the_step_that_sent_the_processed_message()
    {
        using var sys = new ControlledSystem();
        var pidMap = sys.Host.Spawn(Props.Create<PidMapActor>(true), "pidmap");
        var task = sys.Host.Spawn(Props.Create<TaskActor>(pidMap, true, new PidLog()), "t1");
        task.Tell(PidMapProtocol.Start.Instance);
        var steps = Record(sys);
        foreach (var s in steps)
        {
            _output.WriteLine($"{s} (received from {s.ReceivedFrom})");
        }

        Assert.Equal(3, steps.Count);
        Assert.Equal(["host/pidmap"], steps[0].SentTo);
        Assert.Equal(["host/pidmap"], steps[0].UserSentTo);
        Assert.Equal(StepRecord.FromOutside, steps[0].ReceivedFrom);
        Assert.Equal(["host/t1"], steps[1].SentTo);
        Assert.Equal(0, steps[1].ReceivedFrom);
        Assert.Empty(steps[2].SentTo);
        Assert.Equal(1, steps[2].ReceivedFrom);
        Assert.All(steps, s => Assert.Empty(s.SystemSentTo));
        sys.Host.StopChildren();
    }

    [Fact]
    public void Footprints_must_count_creating_and_stopping_a_child_as_system_messages()
    {
        using var sys = new ControlledSystem();
        var parent = sys.Host.Spawn(Props.Create<ParentActor>(), "parent");
        parent.Tell("spawn");
        var spawn = Record(sys);
        parent.Tell("stop");
        var stop = Record(sys);
        foreach (var s in spawn.Concat(stop))
        {
            _output.WriteLine($"{s} (system to {string.Join(", ", s.SystemSentTo)}; received from {s.ReceivedFrom})");
        }

        Assert.Contains("host/parent/child", spawn[0].SentTo);
        Assert.Contains("host/parent/child", spawn[0].SystemSentTo);
        Assert.DoesNotContain("host/parent/child", spawn[0].UserSentTo);
        Assert.Equal("host/parent/child", spawn[1].Actor);
        Assert.Equal(StepRecord.NoMessage, spawn[1].ReceivedFrom);
        Assert.Equal(["host/parent/child"], stop[0].SystemSentTo);
        Assert.Contains(stop, s => s.Actor == "host/parent/child" && s.SystemSentTo.Contains("host/parent"));
        sys.Host.StopChildren();
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(3, false)]
    public void Dpor_must_find_the_same_outcomes_as_plain_dfs_with_fewer_schedules(int tasks, bool atomic)
    {
        using var sys = new ControlledSystem();
        var scenario = new PidMapScenario(sys, tasks, atomic);
        var dfs = new DfsStrategy();
        var plain = scenario.Explore(dfs, iterations: 1_000_000);
        var dpor = new DporStrategy();
        var reduced = scenario.Explore(dpor, iterations: 1_000_000);

        var plainOutcomes = plain.Select(Outcome).ToHashSet();
        var reducedOutcomes = reduced.Select(Outcome).ToHashSet();
        _output.WriteLine(
            $"{tasks} tasks, {(atomic ? "atomic" : "racy")}: plain dfs {plain.Count} schedules, dpor {reduced.Count} " +
            $"({dpor.SleepBlocked} sleep-set blocked, {dpor.Races} races); {plainOutcomes.Count} distinct outcomes: " +
            string.Join("; ", plainOutcomes.Order(StringComparer.Ordinal)));

        Assert.True(dfs.Exhausted);
        Assert.True(dpor.Exhausted);
        Assert.Equal(plainOutcomes.Order(StringComparer.Ordinal), reducedOutcomes.Order(StringComparer.Ordinal));
        Assert.Equal(plain.Any(r => r.Duplicate), reduced.Any(r => r.Duplicate));
        Assert.True(reduced.Count < plain.Count, $"dpor explored {reduced.Count} schedules, plain dfs {plain.Count}");
        Assert.False(sys.Controller.Tainted);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    public void Dpor_must_explore_one_schedule_of_actors_that_do_not_interact(int actors)
    {
        using var sys = new ControlledSystem();
        var dpor = new DporStrategy();
        var plain = new DfsStrategy();
        var schedules = ExploreIndependent(sys, dpor, actors);
        var plainSchedules = actors <= 4 ? ExploreIndependent(sys, plain, actors) : -1;
        _output.WriteLine($"{actors} independent actors: dpor {schedules} schedule(s), plain dfs {plainSchedules}");
        if (plainSchedules > 0)
        {
            Assert.Equal(Enumerable.Range(1, actors).Aggregate(1, (f, k) => f * k), plainSchedules);
        }

        Assert.True(dpor.Exhausted);
        Assert.Equal(1, schedules);
        Assert.Equal(0, dpor.SleepBlocked);
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(3, 6)]
    [InlineData(4, 24)]
    public void Dpor_must_explore_every_order_of_appends_to_one_mailbox_exactly_once(int senders, int orders)
    {
        using var sys = new ControlledSystem();
        var dpor = new DporStrategy();
        var seen = new List<string>();
        for (var i = 0; dpor.PrepareIteration(i); i++)
        {
            var log = new List<string>();
            var sink = sys.Host.Spawn(Props.Create<RecorderActor>(log), "sink");
            var refs = Enumerable.Range(0, senders)
                .Select(s => sys.Host.Spawn(Props.Create<ForwardActor>(sink), $"s{s}"))
                .ToArray();
            for (var s = 0; s < senders; s++)
            {
                refs[s].Tell($"m{s}");
            }

            sys.Controller.Run(dpor);
            seen.Add(string.Join(",", log));
            sys.Host.StopChildren();
        }

        _output.WriteLine($"{senders} senders: {seen.Count} schedules: {string.Join(" | ", seen)}");
        Assert.True(dpor.Exhausted);
        Assert.Equal(orders, seen.Count);
        Assert.Equal(orders, seen.Distinct().Count());
    }

    [Fact]
    public void Dpor_must_combine_the_traces_of_consecutive_runs_of_one_schedule()
    {
        // Two Run calls per schedule (like a scenario's parallel blocks): races stay within a run, 2 x 2 schedules.
        using var sys = new ControlledSystem();
        var dpor = new DporStrategy();
        var seen = new List<string>();
        for (var i = 0; dpor.PrepareIteration(i); i++)
        {
            var log = new List<string>();
            var sink = sys.Host.Spawn(Props.Create<RecorderActor>(log), "sink");
            var a = sys.Host.Spawn(Props.Create<ForwardActor>(sink), "a");
            var b = sys.Host.Spawn(Props.Create<ForwardActor>(sink), "b");
            a.Tell("a1");
            b.Tell("b1");
            Assert.True(sys.Controller.Run(dpor).Quiescent);
            a.Tell("a2");
            b.Tell("b2");
            Assert.True(sys.Controller.Run(dpor).Quiescent);
            seen.Add(string.Join(",", log));
            sys.Host.StopChildren();
        }

        _output.WriteLine(string.Join(" | ", seen));
        Assert.True(dpor.Exhausted);
        Assert.Equal(4, seen.Count);
        Assert.Equal(4, seen.Distinct().Count());
    }

    [Fact]
    public void Dpor_must_detect_a_step_that_sends_differently_when_its_prefix_is_replayed()
    {
        using var sys = new ControlledSystem();
        var toggle = new Toggle();
        var dpor = new DporStrategy();
        var ex = Assert.Throws<NondeterminismException>(() =>
        {
            for (var i = 0; dpor.PrepareIteration(i); i++)
            {
                var sink = sys.Host.Spawn(Props.Create<RecorderActor>(new List<string>()), "sink");
                var a = sys.Host.Spawn(Props.Create<ForwardActor>(sink), "a");
                var b = sys.Host.Spawn(Props.Create<ForwardActor>(sink), "b");
                var flaky = sys.Host.Spawn(Props.Create<FlakyForwarder>(a, b, toggle), "flaky");
                flaky.Tell("go");
                try
                {
                    sys.Controller.Run(dpor);
                }
                finally
                {
                    sys.Host.StopChildren();
                }
            }
        });

        _output.WriteLine(ex.Message);
        Assert.Equal(0, ex.StepIndex);
    }

    [Fact]
    public void A_duplicate_found_by_dpor_must_replay_by_labels()
    {
        using var sys = new ControlledSystem();
        var scenario = new PidMapScenario(sys, tasks: 3, atomic: false);
        var found = scenario.Explore(new DporStrategy(), iterations: 1000, stopAtFirstBug: true)[^1];
        Assert.True(found.Duplicate);
        _output.WriteLine($"found at iteration {found.Iteration}: {found.Order}");

        var replay = ReplayStrategy.FromRecords(found.Steps);
        Assert.True(replay.PrepareIteration(0));
        var again = scenario.RunOnce(replay, 0);
        Assert.Equal(found.Order, again.Order);
        Assert.Equal(found.Pids, again.Pids);
        Assert.Equal(found.Steps, again.Steps);
    }

    /// <summary>The final outcome of a toy schedule: each task's pid (by task name) and whether one repeats.</summary>
    private static string Outcome(ScheduleResult r) =>
        string.Join(",", r.Pids.OrderBy(p => p.Task, StringComparer.Ordinal).Select(p => $"{p.Task}={p.Pid}")) +
        (r.Duplicate ? " (duplicate)" : string.Empty);

    private static List<StepRecord> Record(ControlledSystem sys)
    {
        var steps = new List<StepRecord>();
        sys.Controller.Run(FifoStrategy.Instance, afterStep: s =>
        {
            steps.Add(s);
            return true;
        });
        return steps;
    }

    private static int ExploreIndependent(ControlledSystem sys, ISchedulingStrategy strategy, int actors)
    {
        var schedules = 0;
        for (var i = 0; strategy.PrepareIteration(i); i++)
        {
            var refs = Enumerable.Range(0, actors)
                .Select(a => sys.Host.Spawn(Props.Create<ControlledDispatcherSpec.PingPongActor>(), $"a{a}"))
                .ToArray();
            foreach (var actor in refs)
            {
                actor.Tell("hello");
            }

            sys.Controller.Run(strategy);
            sys.Host.StopChildren();
            schedules++;
        }

        return schedules;
    }

    /// <summary>Forwards every message to one target.</summary>
    private sealed class ForwardActor(IActorRef target) : UntypedActor
    {
        protected override void OnReceive(object message) => target.Tell(message);
    }

    /// <summary>Creates the child <c>child</c> on "spawn", stops it on "stop".</summary>
    private sealed class ParentActor : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "spawn":
                    Context.ActorOf(Props.Create<ControlledDispatcherSpec.PingPongActor>().WithDispatcher(ControlledSystem.DispatcherId), "child");
                    break;
                case "stop":
                    Context.Stop(Context.Child("child"));
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }
    }

    private sealed class Toggle
    {
        public bool Value { get; private set; }

        public void Flip() => Value = !Value;
    }

    /// <summary>Deliberately nondeterministic: tells a and b, and on every other schedule also tells b again.</summary>
    private sealed class FlakyForwarder(IActorRef a, IActorRef b, Toggle toggle) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            toggle.Flip();
            a.Tell("x");
            b.Tell("y");
            if (toggle.Value)
            {
                Context.Parent.Tell("z");
            }
        }
    }
}
