using System.Diagnostics;
using Akka.Actor;
using Xunit.Abstractions;

namespace Actors.Scheduling.Tests;

public sealed class ControlledDispatcherSpec
{
    private readonly ITestOutputHelper _output;

    public ControlledDispatcherSpec(ITestOutputHelper output) => _output = output;

    [Fact]
    public void ControlledDispatcher_must_process_at_most_one_user_message_per_step()
    {
        using var sys = new ControlledSystem();
        var log = new List<string>();
        var recorder = sys.Host.Spawn(Props.Create<RecorderActor>(log), "rec");
        for (var i = 0; i < 5; i++)
        {
            recorder.Tell(i);
        }

        var perStep = new List<int>();
        var outcome = sys.Controller.Run(FifoStrategy.Instance, afterStep: step =>
        {
            perStep.Add(log.Count);
            return true;
        });

        Assert.Equal(5, outcome.Steps);
        Assert.True(outcome.Quiescent);
        Assert.Equal([1, 2, 3, 4, 5], perStep);
    }

    [Fact]
    public void ControlledDispatcher_must_label_items_by_path_below_user_and_by_readable_message_type()
    {
        using var sys = new ControlledSystem();
        var log = new List<string>();
        var parent = sys.Host.Spawn(Props.Create<RecorderActor>(log), "kernel");
        var pidMap = sys.Host.Spawn(Props.Create<PidMapActor>(true), "pidmap");
        pidMap.Tell(PidMapProtocol.Alloc.Instance);
        parent.Tell("hello");

        var pending = sys.Controller.Pending;
        Assert.Equal(2, pending.Count);
        Assert.Equal(("host/pidmap", "PidMapProtocol.Alloc"), (pending[0].Actor, pending[0].Message));
        Assert.Equal(("host/kernel", "String"), (pending[1].Actor, pending[1].Message));
        Assert.True(pending[0].Sequence < pending[1].Sequence);

        // A child that is created but not run has only its Create system message pending.
        sys.Host.Ref.Tell(new object());
        sys.Controller.RunToQuiescence();
        Assert.Equal(0, sys.Controller.PendingCount);
    }

    [Fact]
    public void ControlledDispatcher_must_show_system_only_runs_and_update_the_head_message_while_parked()
    {
        using var sys = new ControlledSystem();
        var log = new List<string>();
        var spawner = sys.Host.Spawn(Props.Create<SpawnerActor>(log), "spawner");
        spawner.Tell("spawn");
        var first = sys.Controller.Run(FifoStrategy.Instance, maxSteps: 1);
        Assert.Equal(1, first.Steps);

        var created = Assert.Single(sys.Controller.Pending);
        Assert.Equal(("host/spawner/child", SchedulableItem.SystemOnly), (created.Actor, created.Message));

        sys.System.ActorSelection("/user/host/spawner/child").Tell("late", ActorRefs.NoSender);
        SpinWait.SpinUntil(() => sys.Controller.Pending[0].Message != SchedulableItem.SystemOnly, TimeSpan.FromSeconds(5));
        var updated = Assert.Single(sys.Controller.Pending);
        Assert.Equal(("host/spawner/child", "String", created.Sequence), (updated.Actor, updated.Message, updated.Sequence));

        // One step runs the Create and the one user message.
        var steps = new List<StepRecord>();
        sys.Controller.Run(FifoStrategy.Instance, afterStep: s =>
        {
            steps.Add(s);
            return true;
        });
        Assert.Equal(["0: [0/1] host/spawner/child: String"], steps.Select(s => s.ToString()));
        Assert.Equal(["child:late"], log);
    }

    [Fact]
    public void ControlledDispatcher_must_name_unstashed_messages_by_peeking_the_deque()
    {
        using var sys = new ControlledSystem();
        var log = new List<string>();
        var stasher = sys.Host.Spawn(Props.Create<StashingActor>(log), "stasher");
        stasher.Tell("s1");
        stasher.Tell("s2");
        stasher.Tell(0);
        stasher.Tell(1.5);
        var steps = new List<string>();
        sys.Controller.Run(FifoStrategy.Instance, afterStep: s =>
        {
            steps.Add(s.Message);
            return true;
        });
        _output.WriteLine(string.Join(", ", steps));
        Assert.Equal(["s1", "s2", "1.5"], log);
        Assert.Equal(["String", "String", "Int32", "String", "String", "Double"], steps);

        stasher.Tell(2.5);
        var pending = Assert.Single(sys.Controller.Pending);
        Assert.Equal("Double", pending.Message);
        sys.Controller.RunToQuiescence();
        Assert.Equal(0, sys.Controller.PendingCount);
    }

    [Fact]
    public void ControlledDispatcher_must_name_messages_of_queues_it_cannot_peek_from_a_shadow_queue()
    {
        using var sys = new ControlledSystem();
        var log = new List<string>();
        var bounded = sys.Host.Spawn(Props.Create<RecorderActor>(log).WithMailbox("bounded-mailbox"), "bounded");
        bounded.Tell("a");
        bounded.Tell(1);
        bounded.Tell(2.5);
        Assert.Equal("String", Assert.Single(sys.Controller.Pending).Message);
        var steps = new List<string>();
        sys.Controller.Run(FifoStrategy.Instance, afterStep: s =>
        {
            steps.Add(s.Message);
            return true;
        });
        Assert.Equal(["String", "Int32", "Double"], steps);
        Assert.Equal(["bounded:a", "bounded:1", "bounded:2.5"], log);
        bounded.Tell(PoisonPill.Instance);
        Assert.Equal("PoisonPill", Assert.Single(sys.Controller.Pending).Message);
        sys.Controller.RunToQuiescence();
    }

    [Fact]
    public void Fifo_must_run_messages_to_different_actors_in_the_order_they_were_sent()
    {
        using var sys = new ControlledSystem();
        var log = new List<string>();
        var a = sys.Host.Spawn(Props.Create<RecorderActor>(log), "a");
        var b = sys.Host.Spawn(Props.Create<RecorderActor>(log), "b");
        var c = sys.Host.Spawn(Props.Create<RecorderActor>(log), "c");
        a.Tell("m1");
        b.Tell("m2");
        c.Tell("m3");
        a.Tell("m4");
        b.Tell("m5");

        // Enabled order is by label; FIFO picks by sequence regardless.
        var outcome = sys.Controller.RunToQuiescence();

        Assert.Equal(5, outcome.Steps);
        Assert.Equal(["a:m1", "b:m2", "c:m3", "a:m4", "b:m5"], log);
    }

    [Fact]
    public void Controller_must_not_park_actors_on_other_dispatchers()
    {
        using var sys = new ControlledSystem();
        using var done = new ManualResetEventSlim();
        var free = sys.System.ActorOf(Props.Create<SignalActor>(done), "free");
        free.Tell("go");
        Assert.True(done.Wait(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, sys.Controller.PendingCount);
    }

    [Fact]
    public void Controller_must_stop_at_the_step_bound_or_when_the_callback_says_so()
    {
        using var sys = new ControlledSystem();
        var a = sys.Host.Spawn(Props.Create<PingPongActor>(), "a");
        var b = sys.Host.Spawn(Props.Create<PingPongActor>(), "b");
        a.Tell(new PingPongActor.Ball(b, int.MaxValue));

        var before = sys.Controller.TotalSteps;
        var bounded = sys.Controller.Run(FifoStrategy.Instance, maxSteps: 7);
        Assert.Equal(new RunOutcome(7, Quiescent: false, StoppedByCallback: false, HitStepBound: true), bounded);

        var stopped = sys.Controller.Run(FifoStrategy.Instance, afterStep: s => s.Index < 2);
        Assert.Equal(new RunOutcome(3, Quiescent: false, StoppedByCallback: true, HitStepBound: false), stopped);
        Assert.Equal(10, sys.Controller.TotalSteps - before);
    }

    [Fact]
    public void Controller_must_flag_work_submitted_from_another_thread_during_a_run()
    {
        using var sys = new ControlledSystem();
        var log = new List<string>();
        var target = sys.Host.Spawn(Props.Create<RecorderActor>(log), "target");
        var escaper = sys.Host.Spawn(Props.Create<EscapeActor>(target), "escaper");
        Assert.False(sys.Controller.Tainted);

        escaper.Tell("escape");
        var outcome = sys.Controller.RunToQuiescence();

        _output.WriteLine(sys.Controller.TaintDescription ?? "(not tainted)");
        Assert.True(sys.Controller.Tainted);
        Assert.Contains("host/target", sys.Controller.TaintDescription, StringComparison.Ordinal);
        Assert.True(outcome.Quiescent);
        Assert.Equal(["target:leak"], log);

        sys.Controller.ClearTaint();
        Assert.False(sys.Controller.Tainted);
        target.Tell("from the test thread, outside Run");
        sys.Controller.RunToQuiescence();
        Assert.False(sys.Controller.Tainted);
    }

    [Fact]
    public async Task ReleaseToThreadPool_must_let_the_system_terminate_quickly()
    {
        var sys = new ControlledSystem();
        var log = new List<string>();
        var recorder = sys.Host.Spawn(Props.Create<RecorderActor>(log), "rec");
        recorder.Tell("parked");
        Assert.Equal(1, sys.Controller.PendingCount);

        var clock = Stopwatch.StartNew();
        sys.Controller.ReleaseToThreadPool();
        await sys.System.Terminate().WaitAsync(TimeSpan.FromSeconds(5));
        _output.WriteLine($"terminated {clock.ElapsedMilliseconds} ms after release");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        Assert.Equal(0, sys.Controller.PendingCount);
        sys.Dispose();
    }

    [Fact]
    public void WaitForPending_must_see_a_top_level_actor_started_by_the_guardian()
    {
        using var sys = new ControlledSystem();
        var log = new List<string>();
        var before = sys.Controller.PendingCount;
        var top = sys.System.ActorOf(Props.Create<RecorderActor>(log).WithDispatcher(ControlledSystem.DispatcherId), "top");
        Assert.True(sys.Controller.WaitForPending(before + 1, TimeSpan.FromSeconds(5)));
        Assert.Contains(sys.Controller.Pending, item => item.Actor == "top" && item.Message == SchedulableItem.SystemOnly);
        SpinWait.SpinUntil(() => ((RepointableActorRef)top).IsStarted, TimeSpan.FromSeconds(5));
        sys.Controller.RunToQuiescence();
        top.Tell("hi");
        sys.Controller.RunToQuiescence();
        Assert.Equal(["top:hi"], log);
    }

    [Fact]
    public void ControlledHost_must_reject_an_uncontrolled_dispatcher_and_report_spawn_errors()
    {
        using var sys = new ControlledSystem();
        Assert.Throws<ArgumentException>(() => ControlledHost.Create(sys.System, "akka.actor.default-dispatcher", "other"));
        var log = new List<string>();
        sys.Host.Spawn(Props.Create<RecorderActor>(log), "dup");
        Assert.Throws<InvalidOperationException>(() => sys.Host.Spawn(Props.Create<RecorderActor>(log), "dup"));
        sys.Host.StopChildren();
        sys.Host.Spawn(Props.Create<RecorderActor>(log), "dup");
        Assert.Single(sys.Host.Children);
    }

    private sealed class SpawnerActor : UntypedActor
    {
        private readonly List<string> _log;

        public SpawnerActor(List<string> log) => _log = log;

        protected override void OnReceive(object message) =>
            Context.ActorOf(Props.Create<RecorderActor>(_log).WithDispatcher(ControlledSystem.DispatcherId), "child");
    }

    private sealed class StashingActor : UntypedActor, IWithUnboundedStash
    {
        private readonly List<string> _log;

        public StashingActor(List<string> log) => _log = log;

        public IStash Stash { get; set; } = null!;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case string:
                    Stash.Stash();
                    break;
                case 0:
                    Become(Open);
                    Stash.UnstashAll();
                    break;
            }
        }

        private void Open(object message) => _log.Add(message.ToString()!);
    }

    private sealed class SignalActor : UntypedActor
    {
        private readonly ManualResetEventSlim _done;

        public SignalActor(ManualResetEventSlim done) => _done = done;

        protected override void OnReceive(object message) => _done.Set();
    }

    private sealed class EscapeActor : UntypedActor
    {
        private readonly IActorRef _target;

        public EscapeActor(IActorRef target) => _target = target;

        // Model work escaping to another thread while the controller runs this step. (Task.Run(...).Wait()
        // may inline the task on this very thread, so use a thread of our own.)
        protected override void OnReceive(object message)
        {
            var thread = new Thread(() => _target.Tell("leak"));
            thread.Start();
            thread.Join();
        }
    }

    internal sealed class PingPongActor : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is Ball { Left: > 0 } ball)
            {
                ball.To.Tell(new Ball(Self, ball.Left - 1));
            }
        }

        public sealed record Ball(IActorRef To, int Left);
    }
}
