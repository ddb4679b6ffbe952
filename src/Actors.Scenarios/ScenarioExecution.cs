using Actors.Kernel;
using Actors.Kernel.Specifications;
using Actors.Kernel.Tasks;
using Actors.Scheduling;
using Akka.Actor;

namespace Actors.Scenarios;

/// <summary>One execution of a scenario on a fresh model kernel under a <see cref="ControlledHost"/>.</summary>
/// <remarks>
/// Steps outside parallel blocks are issued one at a time and the kernel runs to quiescence (FIFO) after each. A
/// parallel block is run either in written order, each step to completion (<c>actors run</c>), or with every task's
/// steps issued as soon as its previous step returned and the controller choosing the order with a strategy
/// (<c>actors explore</c>). After every controlled step the kernel's step invariants are checked, and at every
/// quiescence the quiescent ones.
/// </remarks>
public sealed class ScenarioExecution : IDisposable
{
    private readonly ControlledHost _host;
    private readonly Scenario _scenario;
    private readonly IActorRef _kernel;
    private readonly IActorRef _driver;
    private readonly Dictionary<string, TaskRecord> _names = [];
    private readonly Dictionary<long, Issued> _inFlight = [];
    private readonly List<StepOutcome> _outcomes = [];
    private readonly Dictionary<string, Queue<Step>> _queues = [];
    private long _corr;
    private readonly StepChecks _stepChecks;

    // The next item of the scenario to run (RunExplored starts there: after the checkpointed prefix, or at 0).
    private int _next;
    private Checkpoint? _checkpoint;

    /// <param name="host">The controlled host; the kernel is created as its child.</param>
    /// <param name="scenario">The checked scenario.</param>
    /// <param name="settings">Kernel settings before the scenario's own <c>config</c> lines.</param>
    /// <param name="stepChecks">What is checked after each controlled step (<c>actors.explorer.step-checks</c>).</param>
    public ScenarioExecution(ControlledHost host, Scenario scenario, KernelSettings settings, StepChecks stepChecks = StepChecks.Owner)
    {
        _host = host;
        _scenario = scenario;
        _stepChecks = stepChecks;
        Context = new KernelContext(EffectiveSettings(scenario, settings));
        // Fixed names: actor labels (and so traces and seeds) must mean the same in every execution and process.
        _driver = host.Spawn(ActorFactory.Props(this, static e => new DriverActor(e)).WithDispatcher(host.DispatcherId), "driver");
        _kernel = host.Spawn(KernelActor.Props(Context, _driver), "kernel");
        Quiesce();
        if (!_names.ContainsKey("init"))
        {
            throw new InvalidOperationException("the kernel did not boot");
        }
    }

    /// <summary>The kernel.</summary>
    public KernelContext Context { get; }

    /// <summary>Outcomes of the steps run so far, in completion order.</summary>
    public IReadOnlyList<StepOutcome> Outcomes => _outcomes;

    /// <summary>Controlled steps taken so far, each as (actor, message).</summary>
    public List<StepRecord> Schedule { get; } = [];

    /// <summary>The steps taken inside parallel blocks (the ones a strategy chose), in order.</summary>
    public List<StepRecord> BlockSchedule { get; } = [];

    /// <summary>Runs every item in written order, parallel blocks too, each step to completion.</summary>
    public void RunInOrder()
    {
        foreach (var item in _scenario.Items)
        {
            var steps = item is ParallelBlock b ? b.Steps : [(Step)item];
            foreach (var step in steps)
            {
                RunOne(step);
            }
        }
    }

    /// <summary>The scenario this execution runs.</summary>
    public Scenario Scenario => _scenario;

    /// <summary>Whether <see cref="RunPrefixAndCheckpoint"/> took a checkpoint.</summary>
    public bool HasCheckpoint => _checkpoint is not null;

    /// <summary>Runs the steps before the first parallel block (in order, each to quiescence, as
    /// <see cref="RunExplored"/> would) and checkpoints the kernel there, so that each later schedule can start from
    /// it (<see cref="TryRestore"/>) instead of from a fresh kernel. Every schedule reaches the same state at that point:
    /// the prefix runs in FIFO order, and its steps and checks are the same each time. A scenario without a parallel
    /// block takes no checkpoint.</summary>
    public void RunPrefixAndCheckpoint()
    {
        if (_next != 0 || _checkpoint is not null)
        {
            throw new InvalidOperationException("the prefix already ran");
        }
        var first = _scenario.Items.ToList().FindIndex(i => i is ParallelBlock);
        if (first < 0)
        {
            return;
        }
        for (; _next < first; _next++)
        {
            RunOne((Step)_scenario.Items[_next]);
        }
        _checkpoint = new Checkpoint(
            ActorTreeCheckpoint.Take(_host.Controller, _kernel, Context),
            new Dictionary<string, TaskRecord>(_names, StringComparer.Ordinal), _outcomes.Count, Schedule.Count, _corr, _next);
    }

    /// <summary>Whether the kernel is at rest: no call in flight, no work parked, no actor failed (the last schedule ran
    /// to its end, or none ran).</summary>
    public bool Quiescent => _inFlight.Count == 0 && _host.Controller.PendingCount == 0 && Context.Failures.Count == 0;

    /// <summary>What the checkpoint holds (actors and objects), for reports; empty without one.</summary>
    public string CheckpointSize => _checkpoint is { } c ? $"{c.Tree.ActorCount} actors, {c.Tree.ObjectCount} objects" : "";

    /// <summary>Actors of the checkpoint brought back by restores so far (schedules stopped them: tasks reaped,
    /// namespaces destroyed).</summary>
    public int RevivedActors => _checkpoint?.Tree.Revived ?? 0;

    /// <summary>Brings the kernel and this execution back to the checkpoint, ready for <see cref="RunExplored"/>; false
    /// when it cannot (no checkpoint, the last schedule did not end quiescent, or an actor of the checkpoint cannot be
    /// brought back): then dispose of this execution and start a fresh one.</summary>
    public bool TryRestore()
    {
        if (_checkpoint is not { } c || !Quiescent || !c.Tree.TryRestore())
        {
            return false;
        }
        _names.Clear();
        foreach (var (name, task) in c.Names)
        {
            _names.Add(name, task);
        }
        _outcomes.RemoveRange(c.Outcomes, _outcomes.Count - c.Outcomes);
        Schedule.RemoveRange(c.Schedule, Schedule.Count - c.Schedule);
        BlockSchedule.Clear();
        _queues.Clear();
        _corr = c.Corr;
        _next = c.Next;
        return true;
    }

    /// <summary>Runs the scenario (from the checkpoint, when there is one) with parallel blocks interleaved by
    /// <paramref name="strategy"/>. Returns false when the step bound was hit (the schedule was cut short).</summary>
    public bool RunExplored(ISchedulingStrategy strategy, int maxSteps)
    {
        for (; _next < _scenario.Items.Count; _next++)
        {
            var item = _scenario.Items[_next];
            if (item is Step step)
            {
                RunOne(step);
                continue;
            }
            var block = (ParallelBlock)item;
            _queues.Clear();
            foreach (var s in block.Steps)
            {
                if (!_queues.TryGetValue(s.Task, out var q))
                {
                    _queues[s.Task] = q = new Queue<Step>();
                }
                q.Enqueue(s);
            }
            foreach (var task in block.Steps.Select(s => s.Task).Distinct().ToArray())
            {
                IssueNext(task);
            }
            var before = Schedule.Count;
            var outcome = Run(strategy, maxSteps - BlockSchedule.Count);
            BlockSchedule.AddRange(Schedule.Skip(before));
            if (outcome.HitStepBound)
            {
                return false;
            }
            if (_inFlight.Count > 0 || _queues.Values.Any(q => q.Count > 0))
            {
                var blocked = string.Join(", ", _inFlight.Values.Select(i => $"{i.Step.Task} (line {i.Step.Line}: {i.Step.Call})"));
                throw new DeadlockException($"deadlock: every remaining task is blocked: {blocked}");
            }
            _queues.Clear();
        }
        return true;
    }

    public void Dispose()
    {
        _host.Stop(_kernel);
        _host.Stop(_driver);
    }

    private void RunOne(Step step)
    {
        var corr = Issue(step);
        if (corr is null)
        {
            return;
        }
        Quiesce();
        if (_inFlight.Remove(corr.Value, out var issued))
        {
            if (issued.Call is not Calls.Wait)
            {
                throw new InvalidOperationException($"{_scenario.File}:{step.Line}: the model did not answer {step.Call} (model bug)");
            }
            // A wait that still blocks at quiescence: report it and interrupt it so the task can go on.
            Record(step, StepOutcome.BlocksForever);
            Context.View.TaskListActor.Tell(new TaskListProtocol.CancelWait(issued.Task.Id), _driver);
            Quiesce();
        }
    }

    /// <summary>Issues <paramref name="step"/>; returns its correlation id, or null when it completed at once (dead task).</summary>
    private long? Issue(Step step)
    {
        var caller = Lookup(step, step.Task);
        if (!Context.View.Tasks!.Tasks.ContainsKey(caller.Id) || caller.ExitState != ExitState.Running)
        {
            Record(step, StepOutcome.Dead);
            return null;
        }
        var call = StepBinder.Bind(step, name => PidOf(step, caller, name), name =>
        {
            var t = Lookup(step, name);
            return Context.View.Tasks!.Tasks.ContainsKey(t.Id) ? t : null;
        });
        var corr = ++_corr;
        _inFlight[corr] = new Issued(step, caller, call);
        caller.Actor.Tell(new TaskProtocol.Call(corr, call), _driver);
        return corr;
    }

    private void IssueNext(string task)
    {
        while (_queues.TryGetValue(task, out var q) && q.Count > 0)
        {
            if (Issue(q.Dequeue()) is not null)
            {
                return;
            }
        }
    }

    private void OnResult(SyscallResult r)
    {
        if (!_inFlight.Remove(r.Corr, out var issued))
        {
            return; // the EINTR of a wait interrupted after "blocks forever"
        }
        var step = issued.Step;
        if (r.NewTask is not null && step.Bind is not null)
        {
            _names[step.Bind] = r.NewTask;
        }
        Record(step, StepOutcome.Format(step, r));
        IssueNext(step.Task);
    }

    private void Record(Step step, string result)
    {
        var caller = _names[step.Task];
        _outcomes.Add(new StepOutcome(step, result, StepOutcome.Check(step, result, name => PidOf(step, caller, name))));
    }

    private TaskRecord Lookup(Step step, string name) => _names.TryGetValue(name, out var t)
        ? t
        : throw new ScenarioException(_scenario.File, step.Line, $"task '{name}' is not bound (the call that should have created it failed)");

    /// <summary>The pid task <paramref name="name"/> has (or had, once reaped) as <paramref name="caller"/> sees it:
    /// 0 when not visible in the caller's namespace.</summary>
    private long PidOf(Step step, TaskRecord caller, string name) => Lookup(step, name).Pid.NrIn(caller.Pid.Ns);

    private void Quiesce()
    {
        var outcome = Run(FifoStrategy.Instance, int.MaxValue);
        if (!outcome.Quiescent)
        {
            throw new InvalidOperationException("the kernel did not quiesce");
        }
    }

    private RunOutcome Run(ISchedulingStrategy strategy, int maxSteps)
    {
        var outcome = _host.Controller.Run(strategy, Math.Max(0, maxSteps), step =>
        {
            Schedule.Add(step);
            CheckFailures();
            if (_stepChecks == StepChecks.All)
            {
                KernelInvariants.CheckStep(Context.View);
            }
            else
            {
                KernelInvariants.CheckAfterStep(Context.View, step.Actor);
            }
            return true;
        });
        CheckFailures();
        if (outcome.Quiescent)
        {
            KernelInvariants.CheckQuiescent(Context.View);
        }
        if (_host.Controller.Tainted)
        {
            var what = _host.Controller.TaintDescription;
            _host.Controller.ClearTaint();
            throw new EscapedWorkException($"model work escaped the controlled dispatcher (ran on another thread): {what}");
        }
        return outcome;
    }

    private void CheckFailures()
    {
        if (Context.Failures.Count > 0)
        {
            var failure = Context.Failures[0];
            throw failure is InvariantViolationException
                ? new InvariantViolationException($"{failure.Message} (thrown by a model actor)", failure)
                : new ModelFailureException(failure);
        }
    }

    /// <summary><paramref name="settings"/> with the scenario's <c>config</c> lines applied; a value out of range is a
    /// <see cref="ScenarioException"/> at its line.</summary>
    public static KernelSettings EffectiveSettings(Scenario scenario, KernelSettings settings)
    {
        if (!UsesCgroups(scenario))
        {
            // Nothing such a scenario does can observe cgroups (every pids.max is "max", no file is read): it runs on a
            // kernel without them, which saves the explorer the core's steps (docs/scenario-language.md).
            settings = settings with { Cgroup = CgroupSettings.Off };
        }
        foreach (var c in scenario.Config)
        {
            switch (c.Key)
            {
                case "pid_max":
                    var v = long.Parse(c.Value, System.Globalization.CultureInfo.InvariantCulture);
                    var min = Math.Max(settings.ReservedPids + 1, 8 * settings.PossibleCpus);
                    if (v < min || v > Kernel.Pid.PidMap.PidMaxLimit)
                    {
                        throw new ScenarioException(scenario.File, c.Line, $"pid_max must be in [{min}, {Kernel.Pid.PidMap.PidMaxLimit}]");
                    }
                    settings = settings with { PidMax = (int)v };
                    break;
                case "msgmni":
                    var mni = long.Parse(c.Value, System.Globalization.CultureInfo.InvariantCulture);
                    if (mni < 0 || mni > int.MaxValue)
                    {
                        throw new ScenarioException(scenario.File, c.Line, "msgmni must be in [0, 2147483647]");
                    }
                    settings = settings with { IpcLimits = settings.IpcLimits with { Msgmni = (int)mni } };
                    break;
                case "next_id_scope":
                    settings = settings with { NextIdScope = c.Value == "process" ? NextIdScope.Process : NextIdScope.Thread };
                    break;
                case "break":
                    settings = settings with
                    {
                        Break = c.Value switch
                        {
                            "free-pid-at-exit" => ModelBreak.FreePidAtExit,
                            "cgroup-fork-unlocked" => ModelBreak.CgroupForkUnlocked,
                            _ => ModelBreak.None,
                        },
                    };
                    break;
                case "cgroup_v1" or "cgroup_v2" or "release_agent":
                    settings = settings with { Cgroup = CgroupConfig(scenario, c, settings.Cgroup) };
                    var cg = settings.Cgroup;
                    if (cg.V1.Distinct(StringComparer.Ordinal).Count() != cg.V1.Count)
                    {
                        throw new ScenarioException(scenario.File, c.Line, "cgroup_v1: a controller can be bound to one hierarchy only");
                    }
                    if (cg.V2.FirstOrDefault(cg.V1.Contains) is { } taken)
                    {
                        throw new ScenarioException(scenario.File, c.Line, $"cgroup_v2: {taken} is bound to a v1 hierarchy (leave it out of cgroup_v1)");
                    }
                    break;
            }
        }
        return settings;
    }

    /// <summary>Whether a step or config line of <paramref name="scenario"/> names cgroups: mkdir/rmdir, a path under
    /// /sys/fs/cgroup/ or /actors/cgroup/, a cgroup config key or the cgroup break.</summary>
    public static bool UsesCgroups(Scenario scenario) =>
        scenario.Config.Any(c => ScenarioChecker.ConfigKeys[c.Key].Path.StartsWith("actors.cgroup.", StringComparison.Ordinal) || c.Value == "cgroup-fork-unlocked")
        || scenario.Steps.Any(st => st.Call is "mkdir" or "rmdir"
            || st.Args.Any(a => a is Arg.Word { Value: var w } && IsCgroupPath(w) || a is Arg.Str { Value: var v } && IsCgroupPath(v)));

    private static bool IsCgroupPath(string p) =>
        Kernel.Cgroups.CgroupPath.InCgroupfs(p) || p.StartsWith(Kernel.Cgroups.CgroupPath.ModelPrefix, StringComparison.Ordinal);

    private static CgroupSettings CgroupConfig(Scenario scenario, ConfigEntry c, CgroupSettings cg)
    {
        if (!cg.Enabled)
        {
            throw new ScenarioException(scenario.File, c.Line, $"{c.Key}: cgroups are off in this configuration (actors.cgroup.enabled)");
        }
        var known = cg.Subsystems.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var list = CgroupSettings.ParseList(c.Value);
        if (c.Key != "release_agent" && list.FirstOrDefault(n => !known.Contains(n)) is { } unknown)
        {
            throw new ScenarioException(scenario.File, c.Line, $"{c.Key}: no controller '{unknown}' (known: {string.Join(", ", known.Order(StringComparer.Ordinal))})");
        }
        return c.Key switch
        {
            "cgroup_v1" => cg with { V1 = list },
            "cgroup_v2" => cg with { V2 = list },
            _ => cg with { ReleaseAgent = c.Value },
        };
    }

    private sealed record Issued(Step Step, TaskRecord Task, Syscall Call);

    private sealed record Checkpoint(ActorTreeCheckpoint Tree, Dictionary<string, TaskRecord> Names, int Outcomes, int Schedule, long Corr, int Next);

    /// <summary>Receives system call results and the kernel's boot message on the controlled dispatcher.</summary>
    private sealed class DriverActor(ScenarioExecution execution) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case SyscallResult r:
                    execution.OnResult(r);
                    break;
                case KernelProtocol.Booted b:
                    execution._names["init"] = b.Init;
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }
    }
}

/// <summary>What the explorer checks after each controlled step (<c>actors.explorer.step-checks</c>); at every
/// quiescence it checks everything (<see cref="KernelInvariants.CheckQuiescent"/>) either way.</summary>
public enum StepChecks
{
    /// <summary>What the step's actor can have changed (<see cref="KernelInvariants.CheckAfterStep"/>): its own
    /// state, ancestor visibility after a pid map or namespace step, and namespace lifetime. The default.</summary>
    Owner,

    /// <summary>Every step invariant of every actor after every step (<see cref="KernelInvariants.CheckStep"/>): slower,
    /// and it also catches a model bug in which an actor changes state another actor owns.</summary>
    All,
}

/// <summary>Every task with a step left was blocked when the kernel went quiescent.</summary>
public sealed class DeadlockException(string message) : Exception(message);

/// <summary>Work of a controlled actor was submitted from another thread (a timer, a Task, a PipeTo): the schedule
/// is no longer under the controller's control, so the run is reported instead of trusted.</summary>
public sealed class EscapedWorkException(string message) : Exception(message);

/// <summary>A model actor threw: a bug in the model.</summary>
public sealed class ModelFailureException(Exception inner) : Exception($"model bug: {inner.GetType().Name}: {inner.Message}", inner);
