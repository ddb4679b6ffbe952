using System.Diagnostics;
using System.Runtime;
using Actors.Kernel;
using Actors.Kernel.Tasks;
using Akka.Actor;

namespace Actors.Benchmarks.Infrastructure;

/// <summary><c>quick memory [count] [parents]</c>: the memory a kernel with <c>count</c> live tasks retains, and per task.</summary>
/// <remarks>
/// BenchmarkDotNet measures allocations per operation, not what stays alive, so this is a console mode. It boots a
/// kernel on the thread-pool dispatcher (pid_max raised to PID_MAX_LIMIT, 4194304, so a million numbers fit in the
/// initial namespace), measures the process (full blocking GC, then <c>GC.GetTotalMemory(true)</c>, working set,
/// private bytes), lets init fork <c>parents</c> tasks and each of them fork its share of the rest, so that
/// the task list holds <c>count</c> live tasks (init included) spread over many parents; nothing exits. It checks the
/// count in the task list and in the initial pid map, measures again, reports totals and the growth per task, and then
/// checks that a sample of the tasks still answer a system call (gettid).
/// Target (issue): 1,000,000 live task actors in under 2 GiB.
/// <c>quick memory [count] bare</c> measures, for comparison, <c>count</c> empty Akka actors (an UntypedActor with no
/// field, on the same dispatcher), all children of one actor and named as task actors are, as every task actor is a
/// child of the one TaskListActor: the part of a task's bytes that is Akka's, whatever the model keeps.
/// </remarks>
public static class MemoryRun
{
    public const string Hocon = "actors.kernel.pid-max = 4194304";

    public static int Run(int count, int? parentsArg, bool bare = false)
    {
        if (bare)
        {
            return RunBare(count);
        }
        var parents = parentsArg ?? Math.Max(1, count / 1000);
        var children = count - 1 - parents;
        if (children < 0)
        {
            Console.Error.WriteLine("count must be at least 1 + parents");
            return 2;
        }
        BenchKernel.ExtraHocon += "\n" + Hocon;
        Console.WriteLine($"GC: {(GCSettings.IsServerGC ? "server" : "workstation")}, concurrent {GCSettings.LatencyMode != GCLatencyMode.Batch}, " +
                          $"{Environment.ProcessorCount} cores; {count:N0} live tasks = init + {parents:N0} parents + {children:N0} children");
        var empty = Measure("process, before boot");
        using var kernel = BenchKernel.Boot("memory");
        var booted = Measure("booted kernel (init only)");

        var clock = Stopwatch.StartNew();
        var parentTasks = new TaskRecord[parents];
        for (var i = 0; i < parents; i++)
        {
            parentTasks[i] = kernel.Spawn(kernel.Init!, new Calls.Fork());
        }
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var driver = kernel.System.ActorOf(
            Props.Create(() => new ForkDriver(parentTasks, children, done)).WithDispatcher(kernel.Dispatcher), "driver");
        if (!done.Task.Wait(TimeSpan.FromMinutes(10)))
        {
            kernel.AssertNoFailures();
            throw new TimeoutException("forking did not finish within 10 minutes");
        }
        var forked = done.Task.Result;
        var elapsed = clock.Elapsed;
        kernel.System.Stop(driver);
        Console.WriteLine($"forked {forked + parents:N0} tasks in {elapsed.TotalSeconds:F1} s ({(forked + parents) / elapsed.TotalSeconds:N0} forks/s)");

        kernel.AssertNoFailures();
        var tasks = kernel.Context.View.Tasks!.Count;
        var visible = kernel.Context.View.PidMaps.Single(m => m.Ns.Level == 0).Count;
        Console.WriteLine($"task list: {tasks:N0} tasks; initial pid map: {visible:N0} visible pids");
        if (tasks != count || visible != count)
        {
            throw new InvalidOperationException($"expected {count:N0} tasks and pids");
        }
        var full = Measure($"{count:N0} live tasks");
        Console.WriteLine($"per task, growth over the booted kernel: GC heap {(full.Heap - booted.Heap) / (double)(count - 1):N0} B, " +
                          $"working set {(full.WorkingSet - booted.WorkingSet) / (double)(count - 1):N0} B, " +
                          $"private {(full.Private - booted.Private) / (double)(count - 1):N0} B");
        Console.WriteLine($"total: GC heap {Gib(full.Heap)}, working set {Gib(full.WorkingSet)}, private {Gib(full.Private)} " +
                          $"(target: under 2 GiB: {(Math.Max(full.WorkingSet, full.Private) < (2L << 30) ? "met" : "missed")}); " +
                          $"before boot: working set {Gib(empty.WorkingSet)}");

        if (Environment.GetEnvironmentVariable("MEMORY_HOLD") is { } hold)
        {
            Console.WriteLine($"holding {hold} s, pid {Environment.ProcessId}");
            Thread.Sleep(TimeSpan.FromSeconds(int.Parse(hold, System.Globalization.CultureInfo.InvariantCulture)));
        }

        // The tasks are live actors: a sample of them answers gettid with its own number.
        var all = kernel.Context.View.Tasks!.Tasks.Values.ToArray();
        var random = new Random(1);
        for (var i = 0; i < 1000; i++)
        {
            var t = all[random.Next(all.Length)];
            var r = kernel.Call(t, new Calls.GetTid());
            if (r.Errno != Errno.None || r.Value != t.Pid.Numbers[^1].Nr)
            {
                throw new InvalidOperationException($"gettid of {t} returned {r}");
            }
        }
        Console.WriteLine("1,000 sampled tasks answered gettid");
        return 0;
    }

    private static int RunBare(int count)
    {
        Console.WriteLine($"GC: {(GCSettings.IsServerGC ? "server" : "workstation")}; {count:N0} empty actors, children of one actor");
        using var kernel = BenchKernel.CreateSystem("bare");
        var parent = kernel.System.ActorOf(Props.Create(() => new BareParent()).WithDispatcher(kernel.Dispatcher), "parent");
        var before = Measure("actor system, one parent");
        var clock = Stopwatch.StartNew();
        var spawned = parent.Ask<int>(new BareParent.Spawn(count), TimeSpan.FromMinutes(10)).GetAwaiter().GetResult();
        Console.WriteLine($"spawned {spawned:N0} actors in {clock.Elapsed.TotalSeconds:F1} s");
        var alive = parent.Ask<int>(BareParent.Ping.Instance, TimeSpan.FromMinutes(10)).GetAwaiter().GetResult();
        if (alive != count)
        {
            throw new InvalidOperationException($"{alive:N0} of {count:N0} actors answered");
        }
        var after = Measure($"{count:N0} empty actors, all answered a message");
        Console.WriteLine($"per actor: GC heap {(after.Heap - before.Heap) / (double)count:N0} B, " +
                          $"working set {(after.WorkingSet - before.WorkingSet) / (double)count:N0} B, " +
                          $"private {(after.Private - before.Private) / (double)count:N0} B");
        return 0;
    }

    /// <summary>Spawns empty children named like task actors; counts the ones that answer a ping.</summary>
    private sealed class BareParent : UntypedActor
    {
        private IActorRef? _asker;
        private int _expected;
        private int _answers;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Spawn s:
                    for (var i = 0; i < s.Count; i++)
                    {
                        Context.ActorOf(Props.Create(() => new Empty()).WithDispatcher(Context.Props.Dispatcher), $"t{i + 2}");
                    }
                    Sender.Tell(s.Count);
                    break;
                case Ping:
                    _asker = Sender;
                    _answers = 0;
                    _expected = 0;
                    foreach (var child in Context.GetChildren())
                    {
                        _expected++;
                        child.Tell(Ping.Instance);
                    }
                    break;
                case Pong:
                    if (++_answers == _expected)
                    {
                        _asker!.Tell(_answers);
                    }
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }

        public sealed record Spawn(int Count);

        public sealed class Ping
        {
            public static readonly Ping Instance = new();
        }

        public sealed class Pong
        {
            public static readonly Pong Instance = new();
        }

        private sealed class Empty : UntypedActor
        {
            protected override void OnReceive(object message) => Sender.Tell(Pong.Instance);
        }
    }

    private static string Gib(long bytes) => $"{bytes / (double)(1L << 30):F2} GiB";

    private static (long Heap, long WorkingSet, long Private) Measure(string what)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var ws = process.WorkingSet64;
        var priv = process.PrivateMemorySize64;
        var info = GC.GetGCMemoryInfo();
        Console.WriteLine($"{what}: GC.GetTotalMemory(true) {heap / 1e6:N1} MB, committed {info.TotalCommittedBytes / 1e6:N1} MB, " +
                          $"working set {ws / 1e6:N1} MB, private bytes {priv / 1e6:N1} MB");
        string[] names = ["gen0", "gen1", "gen2", "LOH", "POH"];
        var gens = new List<string>();
        for (var g = 0; g < info.GenerationInfo.Length && g < names.Length; g++)
        {
            var gen = info.GenerationInfo[g];
            gens.Add($"{names[g]} {gen.SizeAfterBytes / 1e6:N1} / {gen.FragmentationAfterBytes / 1e6:N1} MB");
        }
        Console.WriteLine("  after the last GC, size / fragmentation: " + string.Join(", ", gens));
        return (heap, ws, priv);
    }

    /// <summary>Makes every parent fork until <c>children</c> children exist in all, one fork at a time per parent, all
    /// parents at once; completes <c>done</c> with the number of children. Keeps nothing of them.</summary>
    private sealed class ForkDriver : UntypedActor
    {
        private readonly TaskRecord[] _parents;
        private readonly int _children;
        private readonly TaskCompletionSource<long> _done;
        private readonly TaskProtocol.Call[] _fork;
        private int _started;
        private int _completed;

        public ForkDriver(TaskRecord[] parents, int children, TaskCompletionSource<long> done)
        {
            _parents = parents;
            _children = children;
            _done = done;
            _fork = [.. parents.Select((_, i) => new TaskProtocol.Call(i, new Calls.Fork()))];
        }

        protected override void PreStart()
        {
            if (_children == 0)
            {
                _done.TrySetResult(0);
            }
            for (var i = 0; i < _parents.Length && _started < _children; i++)
            {
                _started++;
                _parents[i].Actor.Tell(_fork[i], Self);
            }
        }

        protected override void OnReceive(object message)
        {
            if (message is not SyscallResult r)
            {
                Unhandled(message);
                return;
            }
            if (r.Errno != Errno.None || r.Dead || r.NewTask is null)
            {
                _done.TrySetException(new InvalidOperationException($"fork by {_parents[r.Corr]} returned {r}"));
                return;
            }
            _completed++;
            if (_started < _children)
            {
                _started++;
                _parents[r.Corr].Actor.Tell(_fork[r.Corr], Self);
            }
            else if (_completed == _children)
            {
                _done.TrySetResult(_completed);
            }
        }
    }
}
