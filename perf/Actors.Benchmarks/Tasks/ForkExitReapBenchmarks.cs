using Actors.Benchmarks.Configs;
using Actors.Benchmarks.Infrastructure;
using Actors.Kernel;
using Actors.Kernel.Tasks;
using Akka.Actor;
using BenchmarkDotNet.Attributes;

namespace Actors.Benchmarks.Tasks;

/// <summary>fork + exit + reap through the task actors, with the forking tasks nested <see cref="Depth"/> pid
/// namespace levels deep and <see cref="Parents"/> of them running cycles in parallel.</summary>
/// <remarks>
/// <para><b>Depth</b> = the number of pid namespace levels a new pid gets a number in (its <c>Pid.Level + 1</c>):
/// depth 1 = the initial namespace only; depth 4 = the child is in a namespace at level 3 and has 4 numbers. GlobalSetup
/// builds the nesting once: the kernel's init clones with CLONE_NEWPID, that child (init of level 1) does the same, and
/// so on down to the init of level <c>Depth - 1</c>. That innermost init forks the <see cref="Parents"/> parent tasks,
/// which live in its namespace for the whole run (the init itself stays idle, so a parent's wait never looks at
/// long-lived siblings).</para>
/// <para><b>Operation</b> (one cycle of one parent): the parent calls fork() (the reply carries the child); the child
/// calls exit(0); once that call returns, the parent calls wait(-1, WNOHANG), which reaps the child; a 0 reply (the
/// child's exit_notify() had not run yet: the exit call replies before it tells the task list) is repeated and counted
/// in <see cref="CycleDriver.Result.WaitRetries"/>. Each parent runs its cycles one after the other; the
/// <see cref="Parents"/> parents run in parallel. One driver actor makes every call and checks every reply.</para>
/// <para>Why not a blocking wait sent at once (what a fork/exit/wait loop does on Linux): in the model a wait(-1)
/// parked before the child exits is never woken (TaskList.FinishExit calls NotifyParent, hence WakeWaiters, while the
/// child's ExitState is still Running, so TryWait finds nothing reapable and nothing wakes the wait later). A blocking
/// wait after the exit reply hits the same lost wakeup whenever it reaches the task list before the child's
/// ExitNotify. <c>quick wakeup</c> reproduces it.</para>
/// <para>Target (issue): more than 100,000 cycles per second at depth 4 on this 2-core machine (Linux itself: about
/// 7,000-9,000 fork+exit+wait per second here).</para>
/// </remarks>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class ForkExitReapBenchmarks
{
    /// <summary>Cycles per invocation, spread over the parents.</summary>
    public const int Ops = 4096;

    /// <summary>How long GlobalSetup runs cycles before BenchmarkDotNet measures. Tiered JIT with dynamic PGO needs
    /// about 4-6 s of cycles here to reach steady state (with DOTNET_TieredCompilation=0 there is no ramp, but the
    /// steady state is 2-3x slower), far more than <c>--job short</c>'s warm-up iterations give.</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(10);

    private BenchKernel _kernel = null!;
    private IActorRef _driver = null!;
    private TaskRecord[] _parents = [];
    private int _fixedTasks;

    /// <summary>Pid namespace levels a forked child gets a number in.</summary>
    [Params(1, 4, 32)]
    public int Depth { get; set; }

    /// <summary>Parent tasks doing fork/exit/wait loops in parallel.</summary>
    [Params(1, 16)]
    public int Parents { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _kernel = BenchKernel.Boot("forkexitreap");
        var init = _kernel.Init!;
        for (var level = 1; level < Depth; level++)
        {
            init = _kernel.Spawn(init, new Calls.Clone(CloneFlags.CLONE_NEWPID, []));
            if (init.Pid.Level != level || init.Pid.Numbers[^1].Nr != 1)
            {
                throw new InvalidOperationException($"CLONE_NEWPID made {init}, expected pid 1 at level {level}");
            }
        }
        _parents = new TaskRecord[Parents];
        for (var i = 0; i < Parents; i++)
        {
            _parents[i] = _kernel.Spawn(init, new Calls.Fork());
        }
        // The kernel's init, the Depth - 1 nested inits, the parents.
        _fixedTasks = Depth + Parents;
        _driver = _kernel.System.ActorOf(
            Props.Create(() => new CycleDriver(_parents, Depth)).WithDispatcher(_kernel.Dispatcher), "driver");

        // Warm-up cycles that check every reply (the driver throws on a wrong one), then that the kernel is back to
        // its fixed tasks with no leaked numbers and all global invariants hold.
        var cycles = RunCycles(Math.Max(256, 4 * Parents), check: true);
        AssertBackToFixedTasks();
        var last = _kernel.Context.View.Tasks!.Find(init.Pid.Ns, cycles.LastChildNr);
        if (last is not null)
        {
            throw new InvalidOperationException($"reaped child {cycles.LastChildNr} is still in the task list: {last}");
        }
        var warm = System.Diagnostics.Stopwatch.StartNew();
        while (warm.Elapsed < WarmUp)
        {
            RunCycles(Ops, check: false);
        }
        AssertBackToFixedTasks();
    }

    [GlobalCleanup]
    public void Cleanup() => _kernel.Dispose();

    [Benchmark(OperationsPerInvoke = Ops)]
    public long Fork_exit_reap() => RunCycles(Ops, check: false).Cycles;

    /// <summary>Runs <paramref name="cycles"/> cycles over the parents and returns what the driver counted.</summary>
    public CycleDriver.Result RunCycles(int cycles, bool check)
    {
        var done = new TaskCompletionSource<CycleDriver.Result>(TaskCreationOptions.RunContinuationsAsynchronously);
        _driver.Tell(new CycleDriver.Run(cycles, check, done));
        var result = _kernel.Await(done.Task);
        if (result.Cycles != cycles)
        {
            throw new InvalidOperationException($"driver reports {result.Cycles} cycles, expected {cycles}");
        }
        return result;
    }

    /// <summary>The kernel, quiescent, has only the fixed tasks and passes every global invariant (which include: the
    /// pid maps hold exactly the numbers of the live tasks).</summary>
    public void AssertBackToFixedTasks()
    {
        _kernel.AssertQuiescentInvariants();
        var count = _kernel.Context.View.Tasks!.Count;
        if (count != _fixedTasks)
        {
            throw new InvalidOperationException($"{count} tasks after the cycles, expected {_fixedTasks}");
        }
    }

    #region actors

    /// <summary>Runs fork/exit/wait cycles on every parent until <c>Cycles</c> are done; completes <c>Done</c>.
    /// Every call message is made once per parent and reused (the correlation id names the parent and the call).</summary>
    public sealed class CycleDriver : UntypedActor
    {
        private const int ForkCall = 0;
        private const int ExitCall = 1;
        private const int WaitCall = 2;

        private readonly TaskRecord[] _parents;
        private readonly int _depth;
        private readonly TaskProtocol.Call[] _fork;
        private readonly TaskProtocol.Call[] _exit;
        private readonly TaskProtocol.Call[] _wait;
        private readonly TaskRecord?[] _child;
        private readonly long[] _childNr;
        private Run? _run;
        private int _started;
        private int _completed;
        private int _lastChildNr;
        private long _retries;

        public CycleDriver(TaskRecord[] parents, int depth)
        {
            _parents = parents;
            _depth = depth;
            var n = parents.Length;
            _fork = new TaskProtocol.Call[n];
            _exit = new TaskProtocol.Call[n];
            _wait = new TaskProtocol.Call[n];
            _child = new TaskRecord?[n];
            _childNr = new long[n];
            for (var i = 0; i < n; i++)
            {
                _fork[i] = new TaskProtocol.Call(Corr(i, ForkCall), new Calls.Fork());
                _exit[i] = new TaskProtocol.Call(Corr(i, ExitCall), new Calls.Exit(0, false));
                _wait[i] = new TaskProtocol.Call(Corr(i, WaitCall), new Calls.Wait(-1, true));
            }
        }

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case SyscallResult r:
                    OnResult(r);
                    break;
                case Run run:
                    Start(run);
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }

        private static long Corr(int parent, int call) => ((long)parent << 2) | (long)call;

        private void Start(Run run)
        {
            if (_run is not null && _completed < _run.Cycles)
            {
                throw new InvalidOperationException("a run is still going");
            }
            _run = run;
            _started = 0;
            _completed = 0;
            _retries = 0;
            for (var i = 0; i < _parents.Length && _started < run.Cycles; i++)
            {
                StartCycle(i);
            }
        }

        private void StartCycle(int p)
        {
            _started++;
            _parents[p].Actor.Tell(_fork[p], Self);
        }

        private void OnResult(SyscallResult r)
        {
            var p = (int)(r.Corr >> 2);
            switch ((int)(r.Corr & 3))
            {
                case ForkCall:
                    var child = r.NewTask;
                    if (r.Errno != Errno.None || r.Dead || child is null || r.Value <= 0 ||
                        (_run!.Check && (child.Pid.Level + 1 != _depth || r.Value != child.Pid.Numbers[^1].Nr ||
                            !ReferenceEquals(child.Group.RealParent, _parents[p]))))
                    {
                        Fail($"fork by {_parents[p]} returned {r}");
                        return;
                    }
                    _child[p] = child;
                    _childNr[p] = r.Value;
                    child.Actor.Tell(_exit[p], Self);
                    break;
                case ExitCall:
                    if (r.Errno != Errno.None || r.Dead || r.Value != 0)
                    {
                        Fail($"exit by {_child[p]} returned {r}");
                        return;
                    }
                    _parents[p].Actor.Tell(_wait[p], Self);
                    break;
                case WaitCall when r.Errno == Errno.None && !r.Dead && r.Value == 0:
                    // WNOHANG: the child's exit_notify() has not run yet (its exit call replies first); ask again.
                    _retries++;
                    _parents[p].Actor.Tell(_wait[p], Self);
                    break;
                case WaitCall:
                    // wait(-1) returns the reaped child's number in the parent's namespace: the one fork returned.
                    if (r.Errno != Errno.None || r.Dead || r.Value != _childNr[p])
                    {
                        Fail($"wait by {_parents[p]} returned {r}, expected child {_childNr[p]}");
                        return;
                    }
                    CycleDone(p);
                    break;
                default:
                    Unhandled(r);
                    break;
            }
        }

        private void CycleDone(int p)
        {
            _lastChildNr = (int)_childNr[p];
            _child[p] = null;
            _completed++;
            if (_started < _run!.Cycles)
            {
                StartCycle(p);
            }
            else if (_completed == _run.Cycles)
            {
                _run.Done.TrySetResult(new Result(_completed, _lastChildNr, _retries));
            }
        }

        private void Fail(string what) =>
            _run!.Done.TrySetException(new InvalidOperationException($"fork/exit/reap cycle failed: {what}"));

        /// <summary>Do <c>Cycles</c> cycles; with <c>Check</c>, also check each child's pid and parent.</summary>
        public sealed record Run(int Cycles, bool Check, TaskCompletionSource<Result> Done);

        /// <summary>Cycles completed, the number (in its parent's namespace) of the last child reaped, and how many
        /// WNOHANG waits found the child not yet a zombie and were repeated.</summary>
        public sealed record Result(int Cycles, int LastChildNr, long WaitRetries);
    }

    #endregion
}
