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
/// <para><b>Operation</b> (one cycle of one parent), as a fork/exit/wait loop does it on Linux: the parent calls fork()
/// (the reply carries the child); then, at once and concurrently, the child calls exit(0) and the parent calls a
/// blocking wait(-1), which parks in the task list until the child's exit_notify() wakes it and reaps the child. The
/// cycle ends when both calls have returned. Each parent runs its cycles one after the other; the
/// <see cref="Parents"/> parents run in parallel. One driver actor makes every call and checks every reply.
/// <see cref="CycleMode"/> also has the variant measured before the lost-wakeup fix (wait(-1, WNOHANG) after the
/// exit call returned, repeated while it returns 0) and fork with next_id (<see cref="ForkNextIdBenchmarks"/>).</para>
/// <para><b>Cgroups</b> (<see cref="CgroupSetup"/>): off (no cgroup core, the baseline), on (the reference config:
/// every fork, exit and reap goes through the cgroup core; one pids level charged per fork), limited (the parents are
/// moved into a pids cgroup with a pids.max they never reach: two levels charged per fork). GlobalSetup checks the
/// setup through the cgroup files (ForkExitReapBenchmarks.Cgroups.cs).</para>
/// <para>Target (issue): more than 100,000 cycles per second at depth 4 on this 2-core machine (Linux itself: about
/// 7,000-9,000 fork+exit+wait per second here).</para>
/// </remarks>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public partial class ForkExitReapBenchmarks
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

    /// <summary>The modes GlobalSetup checks and warms up (the first is checked first); every mode a benchmark
    /// measures must be in it.</summary>
    public CycleMode[] WarmUpModes { get; set; } = [CycleMode.Blocking];

    /// <summary>The model actors get Akka's default mailbox queue instead of the reference config's
    /// (<see cref="BenchKernel.AkkaMailboxHocon"/>; quick mode only, the baseline of the mailbox comparison).</summary>
    public bool AkkaMailbox { get; set; }

    /// <summary>Pid namespace levels a forked child gets a number in.</summary>
    [Params(1, 4, 32)]
    public int Depth { get; set; }

    /// <summary>Parent tasks doing fork/exit/wait loops in parallel.</summary>
    [Params(1, 16)]
    public int Parents { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _kernel = BenchKernel.Boot($"forkexitreap-{Cgroups}{(AkkaMailbox ? "-akkamailbox" : "")}",
            CgroupHocon + "\n" + (AkkaMailbox ? BenchKernel.AkkaMailboxHocon : ""));
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
        SetUpCgroups();
        _driver = _kernel.System.ActorOf(
            Props.Create(() => new CycleDriver(_parents, Depth)).WithDispatcher(_kernel.Dispatcher), "driver");

        // Warm-up cycles that check every reply (the driver throws on a wrong one), then that the kernel is back to
        // its fixed tasks with no leaked numbers and all global invariants hold.
        foreach (var mode in WarmUpModes)
        {
            var cycles = RunCycles(Math.Max(256, 4 * Parents), check: true, mode);
            AssertBackToFixedTasks();
            var last = _kernel.Context.View.Tasks!.Find(init.Pid.Ns, cycles.LastChildNr);
            if (last is not null)
            {
                throw new InvalidOperationException($"{mode}: reaped child {cycles.LastChildNr} is still in the task list: {last}");
            }
        }
        var warm = System.Diagnostics.Stopwatch.StartNew();
        while (warm.Elapsed < WarmUp)
        {
            foreach (var mode in WarmUpModes)
            {
                RunCycles(Ops, check: false, mode);
            }
        }
        AssertBackToFixedTasks();
    }

    [GlobalCleanup]
    public void Cleanup() => _kernel.Dispose();

    [Benchmark(OperationsPerInvoke = Ops)]
    public long Fork_exit_reap() => RunCycles(Ops, check: false, CycleMode.Blocking).Cycles;

    /// <summary>Runs <paramref name="cycles"/> cycles over the parents and returns what the driver counted.</summary>
    public CycleDriver.Result RunCycles(int cycles, bool check, CycleMode mode)
    {
        var done = new TaskCompletionSource<CycleDriver.Result>(TaskCreationOptions.RunContinuationsAsynchronously);
        _driver.Tell(new CycleDriver.Run(cycles, check, mode, done));
        var result = _kernel.Await(done.Task);
        if (result.Cycles != cycles)
        {
            throw new InvalidOperationException($"driver reports {result.Cycles} cycles, expected {cycles}");
        }
        return result;
    }

    /// <summary>The kernel, quiescent, has only the fixed tasks and passes every global invariant (which include: the
    /// pid maps hold exactly the numbers of the live tasks; every pids css charges exactly the tasks linked at or below
    /// it); the cgroup files say the parents are where <see cref="Cgroups"/> put them (called after cycles).</summary>
    public void AssertBackToFixedTasks()
    {
        _kernel.AssertQuiescentInvariants();
        var count = _kernel.Context.View.Tasks!.Count;
        if (count != _fixedTasks)
        {
            throw new InvalidOperationException($"{count} tasks after the cycles, expected {_fixedTasks}");
        }
        AssertCgroups(cycled: true);
    }

    #region actors

    /// <summary>Runs fork/exit/wait cycles on every parent until <c>Cycles</c> are done; completes <c>Done</c>.
    /// Every call message is made once per parent (next_id writes: once per parent and id) and reused; the correlation
    /// id names the parent and the call.</summary>
    public sealed class CycleDriver : UntypedActor
    {
        /// <summary>The first id a next_id write asks for; parent p asks for <c>NextIdBase + p * NextIdSpan + k</c>,
        /// k = 0 .. NextIdSpan - 1 in turn, at every level it names. Above the fixed tasks' numbers (below 300) and,
        /// with 16 parents, below pid_max 32768. An id comes back after NextIdSpan cycles of its parent, long after
        /// its child was reaped.</summary>
        public const int NextIdBase = 1000;

        /// <summary>How many ids each parent cycles through.</summary>
        public const int NextIdSpan = 1000;

        /// <summary>The file a next_id write goes to: the calling thread's slot (the 2008 series' v2).</summary>
        public const string NextIdPath = "/proc/thread-self/next_id";

        private const int ForkCall = 0;
        private const int ExitCall = 1;
        private const int WaitCall = 2;
        private const int WriteCall = 3;

        private readonly TaskRecord[] _parents;
        private readonly int _depth;
        private readonly TaskProtocol.Call[] _fork;
        private readonly TaskProtocol.Call[] _exit;
        private readonly TaskProtocol.Call[] _wait;
        private readonly TaskProtocol.Call[] _waitNoHang;
        private readonly TaskProtocol.Call[][] _writeAll;
        private readonly TaskProtocol.Call[][] _writeInner;
        private readonly TaskRecord?[] _child;
        private readonly long[] _childNr;
        private readonly int[] _pending;
        private readonly int[] _nextK;
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
            _waitNoHang = new TaskProtocol.Call[n];
            _writeAll = new TaskProtocol.Call[n][];
            _writeInner = new TaskProtocol.Call[n][];
            _child = new TaskRecord?[n];
            _childNr = new long[n];
            _pending = new int[n];
            _nextK = new int[n];
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            for (var i = 0; i < n; i++)
            {
                _fork[i] = new TaskProtocol.Call(Corr(i, ForkCall), new Calls.Fork());
                _exit[i] = new TaskProtocol.Call(Corr(i, ExitCall), new Calls.Exit(0, false));
                _wait[i] = new TaskProtocol.Call(Corr(i, WaitCall), new Calls.Wait(-1, false));
                _waitNoHang[i] = new TaskProtocol.Call(Corr(i, WaitCall), new Calls.Wait(-1, true));
                _writeAll[i] = new TaskProtocol.Call[NextIdSpan];
                _writeInner[i] = new TaskProtocol.Call[NextIdSpan];
                for (var k = 0; k < NextIdSpan; k++)
                {
                    var x = NextId(i, k).ToString(inv);
                    var all = depth == 1 ? $"LONG {x}" : $"LONG{depth}" + string.Concat(Enumerable.Repeat(" " + x, depth));
                    _writeAll[i][k] = new TaskProtocol.Call(Corr(i, WriteCall), new Calls.Write(NextIdPath, all));
                    _writeInner[i][k] = new TaskProtocol.Call(Corr(i, WriteCall), new Calls.Write(NextIdPath, $"LONG {x}"));
                }
            }
        }

        /// <summary>The id parent <paramref name="p"/> asks for in its <paramref name="k"/>-th next_id cycle.</summary>
        public static int NextId(int p, int k) => NextIdBase + (p * NextIdSpan) + k;

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
            switch (_run!.Mode.NextId)
            {
                case NextIdForm.AllLevels:
                    _parents[p].Actor.Tell(_writeAll[p][_nextK[p]], Self);
                    break;
                case NextIdForm.Innermost:
                    _parents[p].Actor.Tell(_writeInner[p][_nextK[p]], Self);
                    break;
                default:
                    _parents[p].Actor.Tell(_fork[p], Self);
                    break;
            }
        }

        private void OnResult(SyscallResult r)
        {
            var p = (int)(r.Corr >> 2);
            var mode = _run!.Mode;
            switch ((int)(r.Corr & 3))
            {
                case WriteCall:
                    if (r.Errno != Errno.None || r.Dead || r.Value != 0)
                    {
                        Fail($"next_id write by {_parents[p]} returned {r}");
                        return;
                    }
                    _parents[p].Actor.Tell(_fork[p], Self);
                    break;
                case ForkCall:
                    OnForked(p, r, mode);
                    break;
                case ExitCall:
                    if (r.Errno != Errno.None || r.Dead || r.Value != 0)
                    {
                        Fail($"exit by {_child[p]} returned {r}");
                        return;
                    }
                    if (mode.NoHangAfterExit)
                    {
                        _parents[p].Actor.Tell(_waitNoHang[p], Self);
                    }
                    else if (--_pending[p] == 0)
                    {
                        CycleDone(p);
                    }
                    break;
                case WaitCall when mode.NoHangAfterExit && r.Errno == Errno.None && !r.Dead && r.Value == 0:
                    // WNOHANG: the child's exit_notify() has not run yet (its exit call replies first); ask again.
                    _retries++;
                    _parents[p].Actor.Tell(_waitNoHang[p], Self);
                    break;
                case WaitCall:
                    // wait(-1) returns the reaped child's number in the parent's namespace: the one fork returned.
                    if (r.Errno != Errno.None || r.Dead || r.Value != _childNr[p])
                    {
                        Fail($"wait by {_parents[p]} returned {r}, expected child {_childNr[p]}");
                        return;
                    }
                    if (mode.NoHangAfterExit || --_pending[p] == 0)
                    {
                        CycleDone(p);
                    }
                    break;
                default:
                    Unhandled(r);
                    break;
            }
        }

        private void OnForked(int p, SyscallResult r, CycleMode mode)
        {
            var child = r.NewTask;
            if (r.Errno != Errno.None || r.Dead || child is null || r.Value <= 0 ||
                (_run!.Check && (child.Pid.Level + 1 != _depth || r.Value != child.Pid.Numbers[^1].Nr ||
                    !ReferenceEquals(child.Group.RealParent, _parents[p]))))
            {
                Fail($"fork by {_parents[p]} returned {r}");
                return;
            }
            if (mode.NextId != NextIdForm.None)
            {
                // The child got the id asked for: always checked at the innermost level (the number fork returns);
                // with Check, at every level next_id named.
                var x = NextId(p, _nextK[p]);
                var levels = mode.NextId == NextIdForm.AllLevels && _run.Check ? _depth : 1;
                for (var l = 0; l < levels; l++)
                {
                    if ((l == 0 ? r.Value : child.Pid.Numbers[^(l + 1)].Nr) != x)
                    {
                        Fail($"fork after next_id {x} by {_parents[p]} made {child} (fork returned {r.Value})");
                        return;
                    }
                }
                _nextK[p] = (_nextK[p] + 1) % NextIdSpan;
            }
            _child[p] = child;
            _childNr[p] = r.Value;
            child.Actor.Tell(_exit[p], Self);
            if (!mode.NoHangAfterExit)
            {
                _pending[p] = 2;
                _parents[p].Actor.Tell(_wait[p], Self);
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

        /// <summary>Do <c>Cycles</c> cycles in <c>Mode</c>; with <c>Check</c>, also check each child's pid and parent.</summary>
        public sealed record Run(int Cycles, bool Check, CycleMode Mode, TaskCompletionSource<Result> Done);

        /// <summary>Cycles completed, the number (in its parent's namespace) of the last child reaped, and how many
        /// WNOHANG waits found the child not yet a zombie and were repeated.</summary>
        public sealed record Result(int Cycles, int LastChildNr, long WaitRetries);
    }

    #endregion
}

/// <summary>Which ids a cycle's fork asks for with next_id, written just before the fork.</summary>
public enum NextIdForm
{
    /// <summary>No next_id: cyclic allocation at every level.</summary>
    None,

    /// <summary><c>LONG X</c>: X at the innermost level only, cyclic allocation at the outer ones.</summary>
    Innermost,

    /// <summary><c>LONG&lt;depth&gt; X ... X</c>: X at every level.</summary>
    AllLevels,
}

/// <summary>How a fork/exit/reap cycle is made.</summary>
/// <param name="NoHangAfterExit">False: the parent's blocking wait(-1) is sent with the child's exit, at once after
/// the fork returned. True: wait(-1, WNOHANG) after the exit returned, repeated while it returns 0 (the loop measured
/// before the lost-wakeup fix).</param>
/// <param name="NextId">Whether and how the parent writes next_id before each fork.</param>
public sealed record CycleMode(bool NoHangAfterExit, NextIdForm NextId)
{
    /// <summary>fork; exit and blocking wait at once.</summary>
    public static readonly CycleMode Blocking = new(false, NextIdForm.None);

    /// <summary>fork; exit; then wait(-1, WNOHANG) until it reaps.</summary>
    public static readonly CycleMode NoHang = new(true, NextIdForm.None);

    /// <summary>next_id at every level; fork; exit and blocking wait at once.</summary>
    public static readonly CycleMode NextIdAllLevels = new(false, NextIdForm.AllLevels);

    /// <summary>next_id at the innermost level; fork; exit and blocking wait at once.</summary>
    public static readonly CycleMode NextIdInnermost = new(false, NextIdForm.Innermost);
}
