using System.Diagnostics;
using Actors.Kernel;
using Actors.Kernel.Specifications;
using Actors.Kernel.Tasks;
using Akka.Actor;
using Akka.Configuration;

namespace Actors.Stress;

/// <summary>The outcome of a stress run.</summary>
public sealed record StressReport(
    ulong Seed, int Tasks, int Depth, long Ops, double Seconds, long ForkExitReap,
    IReadOnlyDictionary<string, long> Calls, IReadOnlyDictionary<string, long> Errors,
    int LiveTasks, int IpcObjects, bool Interrupted, string? AuditFailure)
{
    public double OpsPerSecond => Seconds > 0 ? Ops / Seconds : 0;
    public double ForkExitReapPerSecond => Seconds > 0 ? ForkExitReap / Seconds : 0;
    public bool AuditPassed => AuditFailure is null;
}

/// <summary>A seeded random workload of concurrent tasks on the real (thread-pool) dispatcher, then a quiescent audit
/// with the invariants the explorer checks.</summary>
public sealed class StressRun : IDisposable
{
    private readonly ActorSystem _system;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _allDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _opsTaken;
    private int _workersLeft;
    private long _corr;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> _running = new();

    /// <summary>What worker <paramref name="worker"/> is waiting for (shown when the run stalls).</summary>
    internal void Running(int worker, string what) => _running[worker] = what;

    /// <param name="config">Configuration layered over the defaults; the model actors run on the thread pool
    /// (<c>actors.dispatchers.model</c>) whatever it says.</param>
    /// <param name="options">The workload.</param>
    public StressRun(Config config, StressOptions options)
    {
        Options = options;
        var full = ConfigurationFactory.ParseString("actors.kernel.dispatcher = \"actors.dispatchers.model\"")
            .WithFallback(config).WithFallback(KernelConfig.Default());
        _system = ActorSystem.Create("stress", full);
        Kernel = new KernelContext(KernelSettings.From(full));
    }

    public StressOptions Options { get; }

    public StressStats Stats { get; } = new();

    public KernelContext Kernel { get; }

    /// <summary>Asks the run to stop (Ctrl-C): workers finish the operation they are in.</summary>
    public void Stop()
    {
        _interrupted = true;
        _stop.Cancel();
    }

    private volatile bool _interrupted;

    /// <summary>Runs the workload, reporting progress, then quiesces and audits.</summary>
    public async Task<StressReport> RunAsync(Action<StressStats, TimeSpan, int>? progress = null)
    {
        var boot = new TaskCompletionSource<TaskRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        var notify = _system.ActorOf(Props.Create(() => new BootListener(boot)));
        _system.ActorOf(KernelActor.Props(Kernel, notify), "kernel");
        var init = await boot.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var roots = await SetUp(init);
        var clock = Stopwatch.StartNew();
        if (Options.Duration is { } d)
        {
            _stop.CancelAfter(d);
        }
        _workersLeft = roots.Count;
        for (var i = 0; i < roots.Count; i++)
        {
            _system.ActorOf(StressWorker.Props(roots[i], i, this), $"worker{i}").Tell(StressWorker.Start.Instance);
        }
        var lastOps = -1L;
        var stalledSince = clock.Elapsed;
        string? stalled = null;
        while (!_allDone.Task.IsCompleted)
        {
            await Task.WhenAny(_allDone.Task, Task.Delay(1000));
            progress?.Invoke(Stats, clock.Elapsed, Kernel.View.Tasks?.Count ?? 0);
            if (Kernel.Failures.Count > 0)
            {
                stalled = $"model bug: {Kernel.Failures[0]}";
                break;
            }
            if (Stats.Ops != lastOps)
            {
                lastOps = Stats.Ops;
                stalledSince = clock.Elapsed;
            }
            else if (clock.Elapsed - stalledSince > TimeSpan.FromSeconds(10))
            {
                stalled = $"no operation completed for 10 s (a system call never returned): {string.Join("; ", _running.Values)}";
                break;
            }
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var failure = stalled ?? await Audit();
        return new StressReport(
            Options.Seed, Options.Tasks, Options.Depth, Stats.Ops, seconds, Stats.ForkExitReap,
            Stats.Calls.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value),
            Stats.Errors.OrderBy(kv => kv.Key.ToString(), StringComparer.Ordinal).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
            Kernel.View.Tasks?.Count ?? 0, Kernel.View.IpcNamespaces.Sum(ns => ns.State.Messages.InUse),
            _interrupted, failure);
    }

    /// <summary>A worker asks for the next operation: false once the budget is spent or the run was stopped.</summary>
    internal bool TakeOp() =>
        !_stop.IsCancellationRequested && (Options.Ops is not { } max || Interlocked.Increment(ref _opsTaken) <= max);

    internal void WorkerDone()
    {
        if (Interlocked.Decrement(ref _workersLeft) == 0)
        {
            _allDone.TrySetResult();
        }
    }

    /// <summary>Nested namespaces down to the depth, then one root task per worker, spread over the levels.</summary>
    private async Task<List<TaskRecord>> SetUp(TaskRecord init)
    {
        var inits = new List<TaskRecord> { init };
        for (var level = 1; level < Options.Depth; level++)
        {
            inits.Add(await CallFor(inits[^1], new Calls.Clone(CloneFlags.CLONE_NEWPID, [])));
        }
        var roots = new List<TaskRecord>();
        for (var i = 0; i < Options.Tasks; i++)
        {
            roots.Add(await CallFor(inits[i % inits.Count], new Calls.Fork()));
        }
        return roots;
    }

    private async Task<TaskRecord> CallFor(TaskRecord task, Syscall call)
    {
        var r = await task.Actor.Ask<SyscallResult>(new TaskProtocol.Call(++_corr, call), TimeSpan.FromSeconds(10));
        return r.NewTask ?? throw new InvalidOperationException($"set-up call {call} failed: {r.Errno}");
    }

    /// <summary>Waits for the kernel to go quiet (messages still in flight, e.g. pid releases, settle within
    /// milliseconds), then checks the quiescent invariants: every number held by exactly one live or zombie task,
    /// nothing leaked or left reserved, links consistent, every IPC id set consistent. Null when it passed.</summary>
    private async Task<string?> Audit()
    {
        string? last = null;
        for (var attempt = 0; attempt < 30; attempt++)
        {
            try
            {
                if (Kernel.Failures.Count > 0)
                {
                    return $"model bug: {Kernel.Failures[0]}";
                }
                KernelInvariants.CheckQuiescent(Kernel.View);
                foreach (var (_, state) in Kernel.View.IpcNamespaces)
                {
                    state.CheckInvariants();
                }
                return null;
            }
            catch (Exception e) when (e is InvariantViolationException or InvalidOperationException)
            {
                last = e.Message;
            }
            await Task.Delay(100);
        }
        return last;
    }

    public void Dispose()
    {
        _system.Terminate().Wait(TimeSpan.FromSeconds(10));
        _system.Dispose();
        _stop.Dispose();
    }

    private sealed class BootListener : ReceiveActor
    {
        public BootListener(TaskCompletionSource<TaskRecord> boot) =>
            Receive<KernelProtocol.Booted>(b => boot.TrySetResult(b.Init));
    }
}
