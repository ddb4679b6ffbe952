using Actors.Kernel;
using Actors.Kernel.Ipc;
using Actors.Kernel.Tasks;
using Akka.Actor;

namespace Actors.Stress;

/// <summary>One concurrent client of a stress run: it owns one task (its root) and that task's children, and runs
/// random operations one call at a time, each operation a short script of system calls.</summary>
/// <remarks>Not a model actor: it runs on Akka's default dispatcher and only talks to task actors with Tell and a
/// correlation id, as a user-space thread makes system calls.</remarks>
public sealed class StressWorker : ReceiveActor
{
    private const int MaxChildren = 16;

    private readonly TaskRecord _root;
    private readonly StressRun _run;
    private readonly int _index;
    private readonly Random _random;
    private readonly List<TaskRecord> _children = [];
    private readonly List<int> _ipcIds = [];
    private readonly List<TaskRecord> _zombies = [];
    private readonly (OpKind Kind, int Weight)[] _mix;
    private readonly int _weights;
    private IEnumerator<PendingCall>? _script;
    private bool _leftZombie;
    private PendingCall? _current;
    private long _corr;

    public StressWorker(TaskRecord root, int index, StressRun run)
    {
        _root = root;
        _run = run;
        _index = index;
        // Each worker's own stream, derived from the run's seed (System.Random with a seed is deterministic per worker;
        // the interleaving of workers on the thread pool is not, by design).
        _random = new Random((int)(run.Options.Seed * 0x9E3779B97F4A7C15UL >> 33) ^ index);
        _mix = [.. run.Options.Mix.Where(kv => kv.Value > 0).Select(kv => (kv.Key, kv.Value)).OrderBy(kv => kv.Key)];
        _weights = _mix.Sum(m => m.Weight);
        Receive<SyscallResult>(OnResult);
        Receive<Start>(_ => Next());
    }

    public static Props Props(TaskRecord root, int index, StressRun run) =>
        Akka.Actor.Props.Create<StressWorker>(root, index, run);

    private void Next()
    {
        while (true)
        {
            if (_script is null)
            {
                if (!_run.TakeOp())
                {
                    if (!_leftZombie && _children.Count > 0)
                    {
                        // Last, one child exits and is not reaped: the audit then always sees a zombie, which must
                        // still hold its numbers.
                        _leftZombie = true;
                        _script = LeaveZombie().GetEnumerator();
                        continue;
                    }
                    _run.WorkerDone();
                    Context.Stop(Self);
                    return;
                }
                // Keep each worker's subtree bounded: with many live children the next operation ends one.
                _script = Script(_children.Count + _zombies.Count >= MaxChildren ? OpKind.Exit : Pick()).GetEnumerator();
            }
            if (_script.MoveNext())
            {
                _current = _script.Current;
                _run.Running(_index, $"worker {_index}: {_current.Task} {_current.Syscall}");
                _current.Task.Actor.Tell(new TaskProtocol.Call(++_corr, _current.Syscall), Self);
                return;
            }
            _script = null;
            if (!_leftZombie)
            {
                _run.Stats.Op(); // the wind-down exit is not one of the budgeted operations
            }
        }
    }

    private void OnResult(SyscallResult r)
    {
        var call = _current!;
        call.Result = r;
        _run.Stats.Call(call.Name, r.Dead ? Errno.None : r.Errno);
        Next();
    }

    private IEnumerable<PendingCall> LeaveZombie()
    {
        var child = Take();
        yield return new PendingCall(child, new Calls.Exit(0, false), "exit");
        _zombies.Add(child);
    }

    private OpKind Pick()
    {
        var x = _random.Next(_weights);
        foreach (var (kind, weight) in _mix)
        {
            if ((x -= weight) < 0)
            {
                return kind;
            }
        }
        return _mix[^1].Kind;
    }

    private IEnumerable<PendingCall> Script(OpKind kind)
    {
        switch (kind)
        {
            case OpKind.Fork:
                var fork = new PendingCall(_root, new Calls.Fork(), "fork");
                yield return fork;
                Adopt(fork);
                break;
            case OpKind.Exit or OpKind.Kill when _zombies.Count > 0 && _random.Next(2) == 0:
                // Reap a zombie left by an earlier exit.
                var zombie = _zombies[^1];
                _zombies.RemoveAt(_zombies.Count - 1);
                var late = new PendingCall(_root, new Calls.Wait(zombie.Pid.NrIn(_root.Pid.Ns), false), "wait");
                yield return late;
                if (late.Result!.Errno == Errno.None)
                {
                    _run.Stats.Cycle();
                }
                break;
            case OpKind.Exit or OpKind.Kill when _children.Count > 0:
                var child = Take();
                yield return kind == OpKind.Exit
                    ? new PendingCall(child, new Calls.Exit(0, false), "exit")
                    : new PendingCall(_root, new Calls.Kill(child.Pid.NrIn(_root.Pid.Ns), Signals.SIGKILL), "kill");
                if (kind == OpKind.Exit && _random.Next(2) == 0)
                {
                    _zombies.Add(child); // a zombie for a while: it must keep its numbers until reaped
                    break;
                }
                var reap = new PendingCall(_root, new Calls.Wait(child.Pid.NrIn(_root.Pid.Ns), false), "wait");
                yield return reap;
                if (reap.Result!.Errno == Errno.None && kind == OpKind.Exit)
                {
                    _run.Stats.Cycle();
                }
                break;
            case OpKind.Exit or OpKind.Kill:
                goto case OpKind.Fork;
            case OpKind.NextId:
                // A number that may be free or taken (then EEXIST), in the root's own namespace.
                var write = new PendingCall(_root, new Calls.Write("/proc/thread-self/next_id", $"LONG {_random.Next(2, 3000)}"), "write next_id");
                yield return write;
                var idFork = new PendingCall(_root, new Calls.Fork(), "fork next_id");
                yield return idFork;
                Adopt(idFork);
                break;
            case OpKind.SetTid:
                var clone = new PendingCall(_root, new Calls.Clone(CloneFlags.None, [_random.Next(2, 3000)]), "clone set_tid");
                yield return clone;
                Adopt(clone);
                break;
            case OpKind.Ipc when _ipcIds.Count > 0 && _random.Next(2) == 0:
                var id = _ipcIds[^1];
                _ipcIds.RemoveAt(_ipcIds.Count - 1);
                yield return new PendingCall(_root, new Calls.IpcRemove(IpcType.Msg, id), "msgctl IPC_RMID");
                break;
            case OpKind.Ipc:
                var get = new PendingCall(_root, new Calls.IpcGet(IpcType.Msg, IpcConstants.PrivateKey, 0x180, 0), "msgget");
                yield return get;
                if (get.Result!.Errno == Errno.None)
                {
                    _ipcIds.Add((int)get.Result.Value);
                }
                break;
            case OpKind.Unshare:
                // A new pid namespace: its init forks a child that exits and is reaped, then the init exits and is reaped.
                var ns = new PendingCall(_root, new Calls.Clone(CloneFlags.CLONE_NEWPID, []), "clone CLONE_NEWPID");
                yield return ns;
                if (ns.Result!.NewTask is not { } nsInit)
                {
                    break;
                }
                var inner = new PendingCall(nsInit, new Calls.Fork(), "fork");
                yield return inner;
                if (inner.Result!.NewTask is { } innerChild)
                {
                    yield return new PendingCall(innerChild, new Calls.Exit(0, false), "exit");
                    yield return new PendingCall(nsInit, new Calls.Wait(-1, false), "wait");
                }
                yield return new PendingCall(nsInit, new Calls.Exit(0, false), "exit");
                yield return new PendingCall(_root, new Calls.Wait(ns.Result.NewTask.Pid.NrIn(_root.Pid.Ns), false), "wait");
                break;
        }
    }

    private void Adopt(PendingCall fork)
    {
        if (fork.Result!.NewTask is { } child)
        {
            _children.Add(child);
        }
    }

    private TaskRecord Take()
    {
        var i = _random.Next(_children.Count);
        var c = _children[i];
        _children[i] = _children[^1];
        _children.RemoveAt(_children.Count - 1);
        return c;
    }

    /// <summary>Begin the run.</summary>
    public sealed record Start
    {
        public static readonly Start Instance = new();
        private Start() { }
    }

    /// <summary>One system call of a script; <see cref="Result"/> is set when it returns.</summary>
    private sealed class PendingCall(TaskRecord task, Syscall syscall, string name)
    {
        public TaskRecord Task { get; } = task;
        public Syscall Syscall { get; } = syscall;
        public string Name { get; } = name;
        public SyscallResult? Result { get; set; }
    }
}
