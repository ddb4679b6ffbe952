using Actors.Kernel.Pid;
using Actors.Kernel.Tasks;
using Xunit;
using KernelPid = Actors.Kernel.Pid.Pid;

namespace Actors.Kernel.Tests.Tasks;

/// <summary>An <see cref="ITaskListOutbox"/> that records every effect, in order, as a short line naming tasks by
/// their test names: <c>kill x</c>, <c>release x</c>, <c>release x -&gt; wait init#3=2</c>, <c>complete a#1 ECHILD</c>,
/// <c>disable ns1</c>, <c>waitcount ns1=1 for n</c>, <c>reaper ns1</c>.</summary>
internal sealed class RecordingOutbox(Func<TaskRecord, string> name) : ITaskListOutbox
{
    private readonly List<string> _effects = [];

    /// <summary>Effects recorded since the last <see cref="Take"/>.</summary>
    public string[] Take()
    {
        var all = _effects.ToArray();
        _effects.Clear();
        return all;
    }

    public void KillThread(TaskRecord thread) => _effects.Add($"kill {name(thread)}");

    public void Release(TaskRecord task, WaitCompletion? completion) => _effects.Add(completion is null
        ? $"release {name(task)}"
        : $"release {name(task)} -> wait {name(completion.Waiter)}#{completion.Corr}={completion.Result.Value}");

    public void CompleteWait(WaitCompletion completion) => _effects.Add($"complete {Format(completion)}");

    public void FreeNumbers(TaskRecord task) => _effects.Add($"free-at-exit {name(task)}");

    public void DisableAllocation(NsHandle ns) => _effects.Add($"disable ns{ns.Id}");

    public void WaitForCount(NsHandle ns, int count, TaskRecord init) => _effects.Add($"waitcount ns{ns.Id}={count} for {name(init)}");

    public void SetChildReaper(NsHandle ns) => _effects.Add($"reaper ns{ns.Id}");

    /// <summary><c>waiter#corr RESULT</c>: <c>dead</c>, an errno name, or the value.</summary>
    public string Format(WaitCompletion c) => $"{name(c.Waiter)}#{c.Corr} " + (c.Result.Dead
        ? "dead"
        : c.Result.Errno != Errno.None ? c.Result.Errno.ToString() : c.Result.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>A <see cref="TaskList"/> with a recording outbox, hand-made namespaces (ids 0, 1, 2, ...) and pids, and
/// named tasks. Every helper checks the task list's invariants after the operation.</summary>
internal sealed class TaskListWorld
{
    private readonly Dictionary<int, string> _names = [];
    private readonly Dictionary<int, int> _nextNr = [];
    private int _nextTaskId;
    private int _nextNsId;
    private long _nextPidId;
    private long _corr;

    public TaskListWorld()
    {
        Out = new RecordingOutbox(Name);
        List = new TaskList(Out);
        Root = NewNs(null);
        Init = List.Boot(++_nextTaskId, PidIn(Root));
        _names[Init.Id] = "init";
        Check();
    }

    public RecordingOutbox Out { get; }

    public TaskList List { get; }

    /// <summary>The initial namespace, ns0.</summary>
    public NsHandle Root { get; }

    /// <summary>The first task, pid 1 of ns0, with no parent in the model.</summary>
    public TaskRecord Init { get; }

    public string Name(TaskRecord t) => _names.GetValueOrDefault(t.Id, $"t{t.Id}");

    /// <summary>A new namespace (never destroyed: it holds plenty of references).</summary>
    public NsHandle NewNs(NsHandle? parent) => new(_nextNsId++, parent is null ? 0 : parent.Level + 1, parent, initialRefs: 100);

    /// <summary>A pid in <paramref name="ns"/>: <paramref name="innermostFirst"/> gives chosen numbers (set_tid
    /// order), the other levels take the next number of their namespace (1, 2, ... never reused).</summary>
    public KernelPid PidIn(NsHandle ns, params int[] innermostFirst)
    {
        var numbers = new UPid[ns.Level + 1];
        for (var level = ns.Level; level >= 0; level--)
        {
            var at = ns.AtLevel(level);
            var i = ns.Level - level;
            int nr;
            if (i < innermostFirst.Length)
            {
                nr = innermostFirst[i];
            }
            else
            {
                nr = _nextNr.GetValueOrDefault(at.Id, 1);
                while (List.Find(at, nr) is not null)
                {
                    nr++;
                }
            }
            _nextNr[at.Id] = Math.Max(_nextNr.GetValueOrDefault(at.Id, 1), nr + 1);
            numbers[level] = new UPid(nr, at);
        }
        return new KernelPid(++_nextPidId, [.. numbers]);
    }

    /// <summary>copy_process() that must succeed: the child's pid is in <paramref name="ns"/> (default: the forker's
    /// active namespace, as without unshare/setns).</summary>
    public TaskRecord Fork(TaskRecord forker, string name, CloneFlags flags = CloneFlags.None, NsHandle? ns = null, params int[] nrs)
    {
        var errno = TryFork(forker, name, out var child, flags, ns, nrs);
        Assert.Equal(Errno.None, errno);
        return child!;
    }

    public Errno TryFork(TaskRecord forker, string name, out TaskRecord? child, CloneFlags flags = CloneFlags.None, NsHandle? ns = null, params int[] nrs)
    {
        var errno = List.Attach(forker, ++_nextTaskId, PidIn(ns ?? forker.Pid.Ns, nrs), flags, out child);
        if (child is not null)
        {
            _names[child.Id] = name;
        }
        Check();
        return errno;
    }

    /// <summary>A thread of <paramref name="forker"/>'s group.</summary>
    public TaskRecord Thread(TaskRecord forker, string name) =>
        Fork(forker, name, CloneFlags.CLONE_VM | CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_THREAD);

    public void Exit(TaskRecord t, bool group = false)
    {
        List.Exit(t, group);
        Check();
    }

    /// <summary>wait(2); returns the completion to deliver now (ECHILD, WNOHANG's 0), or null (reaped through the
    /// outbox, or parked). <paramref name="corr"/> is the call's correlation id.</summary>
    public WaitCompletion? Wait(TaskRecord waiter, out long corr, int selector = -1, bool noHang = false)
    {
        corr = ++_corr;
        var done = List.Wait(waiter, corr, selector, noHang);
        Check();
        return done;
    }

    /// <summary>A wait whose result is delivered at once: "ECHILD" or the value as text.</summary>
    public string WaitNow(TaskRecord waiter, int selector = -1, bool noHang = false)
    {
        var done = Wait(waiter, out _, selector, noHang);
        Assert.NotNull(done);
        return done.Result.Errno != Errno.None ? done.Result.Errno.ToString() : done.Result.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A wait that reaps a zombie at once: returns the Release effect line.</summary>
    public string Reap(TaskRecord waiter, int selector = -1)
    {
        Out.Take();
        Assert.Null(Wait(waiter, out _, selector));
        var effects = Out.Take();
        Assert.False(List.IsWaiting(waiter), "the wait parked instead of reaping");
        return Assert.Single(effects);
    }

    public Errno Kill(TaskRecord sender, int nr, int sig)
    {
        var errno = List.Kill(sender, nr, sig);
        Check();
        return errno;
    }

    public void NamespaceEmptied(TaskRecord init)
    {
        List.NamespaceEmptied(init);
        Check();
    }

    /// <summary>Runs <paramref name="action"/> and returns the effects it recorded.</summary>
    public string[] Effects(Action action)
    {
        Out.Take();
        action();
        Check();
        return Out.Take();
    }

    public void Check() => List.CheckInvariants();
}
