using System.Collections.Immutable;
using Actors.Benchmarks.Configs;
using Actors.Benchmarks.Infrastructure;
using Actors.Kernel;
using Actors.Kernel.Pid;
using Akka.Actor;
using BenchmarkDotNet.Attributes;
using static Actors.Kernel.Pid.PidMapProtocol;

namespace Actors.Benchmarks.Pid;

/// <summary>One pid alloc+free at one level (reserve, commit, release of a number in the initial namespace's pid map)
/// through <see cref="PidMapActor"/>, against the same <see cref="PidMap"/> behind a lock.</summary>
/// <remarks>
/// Operation: reserve by cyclic allocation, make visible, free. Through the actor that is three request/reply round
/// trips (<see cref="Reserve"/>/<see cref="Reserved"/>, <see cref="Commit"/>/<see cref="Committed"/>,
/// <see cref="Release"/>/its notification), six messages, driven by one driver actor that keeps 1 or 64 operations in
/// flight. The baseline (<see cref="LockedPidAllocator"/>) takes the lock three times per operation, from 1 or 2
/// threads. Both maps hold init's pid 1 for good (without it the first free would kill the namespace: PIDNS_ADDING)
/// and wrap at pid_max 32768 to RESERVED_PIDS, as the initial namespace does.
/// Target (issue): alloc+free through the actor within 10x of the baseline.
/// </remarks>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class PidAllocBenchmarks
{
    /// <summary>Operations per invocation of the lock baseline.</summary>
    public const int Ops = 65_536;

    /// <summary>Operations per invocation through the actor (more, so that an iteration lasts over 100 ms).</summary>
    public const int ActorOps = 262_144;

    private BenchKernel _kernel = null!;
    private PidMap _actorMap = null!;
    private IActorRef _driver = null!;
    private LockedPidAllocator _locked = null!;

    [GlobalSetup]
    public void Setup()
    {
        _kernel = BenchKernel.CreateSystem("pidalloc");
        var settings = _kernel.Context.Settings;
        _locked = new LockedPidAllocator(settings.PidMax);
        (var ns, _actorMap) = NewMapWithInit(settings.PidMax);
        var pidMap = _kernel.System.ActorOf(PidMapActor.Props(_kernel.Context, _actorMap), "pidmap");
        _driver = _kernel.System.ActorOf(
            Props.Create(() => new AllocFreeDriver(pidMap, ns)).WithDispatcher(_kernel.Dispatcher), "driver");

        // Warm-up cycles that check the results: every operation succeeds, no number is held twice, cyclic
        // allocation handed out 2, 3, ... in order, and afterwards only init's pid is left.
        const int check = 1000;
        foreach (var inFlight in new[] { 1, 64 })
        {
            var before = _actorMap.LastPid;
            var sum = RunActor(check, inFlight, checkNumbers: true);
            AssertMapAfter(_actorMap, before, check, sum, $"actor, {inFlight} in flight");
        }
        var lockedBefore = _locked.Map.LastPid;
        AssertMapAfter(_locked.Map, lockedBefore, check, _locked.Run(check), "lock");
        var twoBefore = _locked.Map.LastPid;
        AssertMapAfter(_locked.Map, twoBefore, check, RunLockedTwoThreads(check), "lock, 2 threads");
        // Steady state before measuring (tiered JIT with dynamic PGO; see ForkExitReapBenchmarks.WarmUp).
        var warm = System.Diagnostics.Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromSeconds(4))
        {
            RunActor(Ops, 1, checkNumbers: false);
            RunActor(Ops, 64, checkNumbers: false);
            _locked.Run(Ops);
            RunLockedTwoThreads(Ops);
        }
        _kernel.AssertNoFailures();
    }

    [GlobalCleanup]
    public void Cleanup() => _kernel.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public long Lock_alloc_free_1_thread() => _locked.Run(Ops);

    [Benchmark(OperationsPerInvoke = Ops)]
    public long Lock_alloc_free_2_threads() => RunLockedTwoThreads(Ops);

    [Benchmark(OperationsPerInvoke = ActorOps)]
    public long Actor_alloc_free_1_in_flight() => RunActor(ActorOps, 1, checkNumbers: false);

    [Benchmark(OperationsPerInvoke = ActorOps)]
    public long Actor_alloc_free_64_in_flight() => RunActor(ActorOps, 64, checkNumbers: false);

    /// <summary>A pid map for the initial namespace of a kernel with <paramref name="pidMax"/>, holding init's pid 1
    /// (as KernelActor boots it).</summary>
    internal static (NsHandle Ns, PidMap Map) NewMapWithInit(int pidMax)
    {
        var ns = new NsHandle(0, 0, null, initialRefs: 2);
        var map = new PidMap(ns, pidMax);
        if (map.Reserve(null, out var nr) != Errno.None || nr != 1 ||
            map.Commit(nr, new Kernel.Pid.Pid(0, ImmutableArray.Create(new UPid(nr, ns))), innermost: true) != Errno.None)
        {
            throw new InvalidOperationException("could not give init pid 1");
        }
        ns.Get();
        return (ns, map);
    }

    private long RunActor(int ops, int inFlight, bool checkNumbers)
    {
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _driver.Tell(new AllocFreeDriver.Run(ops, inFlight, checkNumbers, done));
        return _kernel.Await(done.Task);
    }

    private long RunLockedTwoThreads(int ops)
    {
        long a = 0, b = 0;
        Parallel.Invoke(() => a = _locked.Run(ops / 2), () => b = _locked.Run(ops - (ops / 2)));
        return a + b;
    }

    private static void AssertMapAfter(PidMap map, int lastBefore, int ops, long sum, string what)
    {
        // Without a wrap, ops operations took lastBefore + 1 .. lastBefore + ops.
        var expectedSum = ((long)ops * ((2L * lastBefore) + ops + 1)) / 2;
        if (map.Count != 1 || map.Taken != 1 || !map.IsTaken(1) || map.LastPid != lastBefore + ops || sum != expectedSum)
        {
            throw new InvalidOperationException(
                $"{what}: after {ops} alloc+free from last pid {lastBefore}: count {map.Count}, taken {map.Taken}, " +
                $"last pid {map.LastPid}, sum of numbers {sum} (expected {expectedSum})");
        }
        map.CheckInvariants();
    }

    #region actors

    /// <summary>Keeps <c>InFlight</c> alloc+free operations going against one pid map actor until <c>Ops</c> are done;
    /// then completes <c>Done</c> with the sum of the numbers handed out. Operation slots are the correlation ids.</summary>
    private sealed class AllocFreeDriver : UntypedActor
    {
        private readonly IActorRef _pidMap;
        private readonly NsHandle _ns;
        private Run? _run;
        private Slot[] _slots = [];
        private HashSet<int>? _held;
        private int _started;
        private int _completed;
        private long _sum;
        private long _nextPidId = 1_000_000_000;

        public AllocFreeDriver(IActorRef pidMap, NsHandle ns)
        {
            _pidMap = pidMap;
            _ns = ns;
        }

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Reserved r:
                    OnReserved(r);
                    break;
                case Committed c:
                    OnCommitted(c);
                    break;
                case Freed f:
                    OnFreed(f);
                    break;
                case Run run:
                    Start(run);
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }

        private void Start(Run run)
        {
            _run = run;
            _started = 0;
            _completed = 0;
            _sum = 0;
            _held = run.CheckNumbers ? [] : null;
            _slots = new Slot[Math.Min(run.InFlight, run.Ops)];
            for (var i = 0; i < _slots.Length; i++)
            {
                _slots[i] = new Slot(new Freed(i));
                StartOne(i);
            }
        }

        private void StartOne(int slot)
        {
            _started++;
            _pidMap.Tell(new Reserve(slot, null), Self);
        }

        private void OnReserved(Reserved r)
        {
            if (r.Errno != Errno.None || (_held is not null && !_held.Add(r.Nr)))
            {
                Fail($"reserve: {r}");
                return;
            }
            var pid = new Kernel.Pid.Pid(++_nextPidId, ImmutableArray.Create(new UPid(r.Nr, _ns)));
            _slots[r.Corr].Pid = pid;
            _pidMap.Tell(new Commit(r.Corr, pid, 0, Self), Self);
        }

        private void OnCommitted(Committed c)
        {
            if (c.Errno != Errno.None)
            {
                Fail($"commit: {c}");
                return;
            }
            var slot = _slots[c.Corr];
            _pidMap.Tell(new Release(slot.Pid!.Numbers, 0, 0, Self, slot.Freed), Self);
        }

        private void OnFreed(Freed f)
        {
            var slot = _slots[f.Slot];
            var nr = slot.Pid!.Numbers[0].Nr;
            _held?.Remove(nr);
            _sum += nr;
            slot.Pid = null;
            _completed++;
            if (_started < _run!.Ops)
            {
                StartOne(f.Slot);
            }
            else if (_completed == _run.Ops)
            {
                _run.Done.TrySetResult(_sum);
            }
        }

        private void Fail(string what) =>
            _run!.Done.TrySetException(new InvalidOperationException($"alloc+free through the pid map actor failed at {what}"));

        /// <summary>Do <c>Ops</c> operations with <c>InFlight</c> at a time; with <c>CheckNumbers</c>, also check that
        /// no number is handed out twice while held.</summary>
        public sealed record Run(int Ops, int InFlight, bool CheckNumbers, TaskCompletionSource<long> Done);

        /// <summary>The release notification of one slot (made once per slot and reused).</summary>
        private sealed record Freed(int Slot);

        private sealed class Slot(Freed freed)
        {
            public Freed Freed { get; } = freed;
            public Kernel.Pid.Pid? Pid { get; set; }
        }
    }

    #endregion
}
