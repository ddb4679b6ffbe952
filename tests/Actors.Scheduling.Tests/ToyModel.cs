using Akka.Actor;

namespace Actors.Scheduling.Tests;

/// <summary>The racy pid map of notes/akka-determinism.md: a pid map actor that allocates atomically
/// (<see cref="PidMapProtocol.Alloc"/>) or in two racy steps (<see cref="PidMapProtocol.ReadLast"/> then
/// <see cref="PidMapProtocol.Commit"/>), and task actors that each allocate one pid.</summary>
internal static class PidMapProtocol
{
    public sealed record Start
    {
        public static readonly Start Instance = new();
    }

    public sealed record Alloc
    {
        public static readonly Alloc Instance = new();
    }

    public sealed record ReadLast
    {
        public static readonly ReadLast Instance = new();
    }

    public sealed record Last(int Value);

    public sealed record Commit(int Pid);

    public sealed record Allocated(int Pid);
}

/// <summary>Pids recorded by the tasks, in the order they were recorded. Owned by the controller's thread.</summary>
internal sealed class PidLog
{
    private readonly List<(string Task, int Pid)> _entries = [];

    public IReadOnlyList<(string Task, int Pid)> Entries => _entries;

    public bool HasDuplicate
    {
        get
        {
            var seen = new HashSet<int>();
            foreach (var (_, pid) in _entries)
            {
                if (!seen.Add(pid))
                {
                    return true;
                }
            }

            return false;
        }
    }

    public void Record(string task, int pid) => _entries.Add((task, pid));

    public void Clear() => _entries.Clear();

    public override string ToString() => string.Join(", ", _entries.Select(e => $"{e.Task}={e.Pid}"));
}

internal sealed class PidMapActor : UntypedActor
{
    private readonly bool _atomic;
    private int _last;

    public PidMapActor(bool atomic) => _atomic = atomic;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PidMapProtocol.Alloc when _atomic:
                _last++;
                Sender.Tell(new PidMapProtocol.Allocated(_last));
                break;
            case PidMapProtocol.ReadLast when !_atomic:
                Sender.Tell(new PidMapProtocol.Last(_last));
                break;
            case PidMapProtocol.Commit commit when !_atomic:
                _last = commit.Pid;
                Sender.Tell(new PidMapProtocol.Allocated(commit.Pid));
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}

internal sealed class TaskActor : UntypedActor
{
    private readonly IActorRef _pidMap;
    private readonly bool _atomic;
    private readonly PidLog _log;

    public TaskActor(IActorRef pidMap, bool atomic, PidLog log)
    {
        _pidMap = pidMap;
        _atomic = atomic;
        _log = log;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PidMapProtocol.Start:
                _pidMap.Tell(_atomic ? PidMapProtocol.Alloc.Instance : PidMapProtocol.ReadLast.Instance);
                break;
            case PidMapProtocol.Last last:
                _pidMap.Tell(new PidMapProtocol.Commit(last.Value + 1));
                break;
            case PidMapProtocol.Allocated allocated:
                _log.Record(Self.Path.Name, allocated.Pid);
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}

/// <summary>Appends every message it gets (as text) to a shared list.</summary>
internal sealed class RecorderActor : UntypedActor
{
    private readonly List<string> _log;

    public RecorderActor(List<string> log) => _log = log;

    protected override void OnReceive(object message) => _log.Add($"{Self.Path.Name}:{message}");
}

/// <summary>One explored schedule of the pid map model.</summary>
internal sealed record ScheduleResult(int Iteration, IReadOnlyList<StepRecord> Steps, IReadOnlyList<(string Task, int Pid)> Pids, bool Duplicate, RunOutcome Outcome)
{
    public string Order => string.Join(" | ", Steps.Select(s => $"{s.Actor}:{s.Message}"));
}

/// <summary>Creates pidmap + tasks under the host (FIFO), kicks the tasks off, runs one schedule with a
/// strategy, checks for a duplicate pid, and stops the actors again (FIFO).</summary>
internal sealed class PidMapScenario
{
    private readonly ControlledSystem _system;
    private readonly int _tasks;
    private readonly bool _atomic;
    private readonly PidLog _log = new();

    public PidMapScenario(ControlledSystem system, int tasks, bool atomic)
    {
        _system = system;
        _tasks = tasks;
        _atomic = atomic;
    }

    public ScheduleResult RunOnce(ISchedulingStrategy strategy, int iteration, int maxSteps = 1000)
    {
        var host = _system.Host;
        _log.Clear();
        var pidMap = host.Spawn(Props.Create<PidMapActor>(_atomic), "pidmap");
        var tasks = new IActorRef[_tasks];
        for (var i = 0; i < _tasks; i++)
        {
            tasks[i] = host.Spawn(Props.Create<TaskActor>(pidMap, _atomic, _log), $"t{i + 1}");
        }

        foreach (var task in tasks)
        {
            task.Tell(PidMapProtocol.Start.Instance);
        }

        var steps = new List<StepRecord>();
        var outcome = _system.Controller.Run(strategy, maxSteps, step =>
        {
            steps.Add(step);
            return true;
        });
        var result = new ScheduleResult(iteration, steps, [.. _log.Entries], _log.HasDuplicate, outcome);
        host.StopChildren();
        return result;
    }

    /// <summary>Runs up to <paramref name="iterations"/> schedules (fewer when the strategy is exhausted).</summary>
    public List<ScheduleResult> Explore(ISchedulingStrategy strategy, int iterations, bool stopAtFirstBug = false)
    {
        var results = new List<ScheduleResult>();
        for (var i = 0; i < iterations && strategy.PrepareIteration(i); i++)
        {
            var result = RunOnce(strategy, i);
            results.Add(result);
            if (stopAtFirstBug && result.Duplicate)
            {
                break;
            }
        }

        return results;
    }
}
