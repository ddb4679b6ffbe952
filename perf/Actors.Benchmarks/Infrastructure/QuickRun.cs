using System.Diagnostics;
using Actors.Kernel.Tasks;
using Akka.Actor;
using Actors.Benchmarks.Ipc;
using Actors.Benchmarks.Pid;
using Actors.Benchmarks.Tasks;

namespace Actors.Benchmarks.Infrastructure;

/// <summary>A console mode without BenchmarkDotNet: runs benchmark bodies in a loop for a few seconds and prints
/// operations per second every second. Quick to start, and a steady single process to attach a profiler or
/// dotnet-counters to. Given several variants (a comma list), it alternates them in one process, <c>rounds=N</c> times
/// (default 2), and ends with each variant's range and its ratio to the first variant round by round.</summary>
/// <remarks>
/// <c>quick fork [depth=4] [parents=16] [seconds=10] [modes=blocking]</c>: fork+exit+reap cycles; modes, comma-separated:
/// blocking (exit and a blocking wait at once), nohang (wait(-1, WNOHANG) after the exit), nextid (next_id at every
/// level, then the cycle), nextid-inner (next_id at the innermost level only); cg-off, cg-on, cg-limited (the blocking
/// cycle on a kernel with that <see cref="CgroupSetup"/>; the other modes run with cgroups on, as reference.conf); a mode
/// with the suffix <c>+akka</c> (e.g. <c>blocking+akka</c>) runs on a kernel whose model actors have Akka's default
/// mailbox queue instead of the reference config's <c>MpscMailbox</c>.
/// Modes with different kernels get one kernel each (in one process, set up and warmed up one after the other).
/// <c>quick ipc [variants=lock,1,16] [seconds=5]</c>: msgget+IPC_RMID pairs; lock, lock2 (2 threads), or N tasks.
/// <c>quick pid [inflight=64] [seconds=10]</c>: alloc+free through the pid map actor (inflight 0: the lock baseline).
/// <c>quick memory [count=1000000] [parents=count/1000]</c>: retained memory of live task actors (<see cref="MemoryRun"/>);
/// <c>quick memory [count] bare</c>: the same number of empty Akka actors.
/// <c>quick explore [file] [iterations=20000] [seed=1] [workers=cores] [rounds=2]</c>: explorer schedules per second, one worker and
/// several alternated (<see cref="ExploreRun"/>).
/// Add <c>count</c> to count the messages per operation by type (a counting mailbox; slower), <c>alloc</c> to sample
/// allocations by type (GCAllocationTick), <c>time</c> to measure each actor's time per message (a timing mailbox).
/// Add <c>dedicated</c> to run the model actors on a ForkJoinDispatcher with 2 dedicated threads instead of the thread pool,
/// <c>akkamailbox</c> to give them Akka's default mailbox queue (<see cref="BenchKernel.AkkaMailboxHocon"/>) in every mode.
/// <c>quick wakeup</c>: whether a blocked wait(-1) is woken when the child exits later (exit code 1 if not).
/// </remarks>
public static class QuickRun
{
    /// <summary>The model dispatcher on 2 dedicated threads instead of the .NET thread pool (an experiment: <c>dedicated</c>).</summary>
    public const string DedicatedHocon =
        "actors.dispatchers.model { type = ForkJoinDispatcher, throughput = 100, dedicated-thread-pool { thread-count = 2 } }";

    public static int Run(string[] args)
    {
        var count = args.Contains("count");
        var time = args.Contains("time");
        var alloc = args.Contains("alloc");
        var dedicated = args.Contains("dedicated");
        var akkaMailbox = args.Contains("akkamailbox");
        var rounds = args.Where(a => a.StartsWith("rounds=", StringComparison.Ordinal)).Select(a => int.Parse(a[7..], Inv)).LastOrDefault();
        args = [.. args.Where(a => a is not ("count" or "time" or "alloc" or "dedicated" or "akkamailbox") && !a.StartsWith("rounds=", StringComparison.Ordinal))];
        BenchKernel.ExtraHocon = (count ? CountingMailbox.Hocon : time ? TimingMailbox.Hocon : "") + "\n" + (dedicated ? DedicatedHocon : "") +
                                 "\n" + (akkaMailbox ? BenchKernel.AkkaMailboxHocon : "");
        using var sampler = alloc ? new AllocationSampler() : null;
        var what = args.Length > 0 ? args[0] : "fork";
        int Arg(int i, int dflt) => args.Length > i ? int.Parse(args[i], Inv) : dflt;
        string Str(int i, string dflt) => args.Length > i ? args[i] : dflt;
        switch (what)
        {
            case "fork":
            {
                var modes = Str(4, "blocking").Split(',');
                // One kernel per cgroup setup and mailbox, in the order the modes name them, warmed up with its modes.
                var kernels = modes.GroupBy(m => (ParseMode(m).Cgroups, ParseMode(m).AkkaMailbox)).ToDictionary(g => g.Key, g =>
                {
                    var k = new ForkExitReapBenchmarks
                    {
                        Depth = Arg(1, 4),
                        Parents = Arg(2, 16),
                        Cgroups = g.Key.Cgroups,
                        AkkaMailbox = g.Key.AkkaMailbox,
                        WarmUpModes = [.. g.Select(m => ParseMode(m).Mode).Distinct()],
                    };
                    k.Setup();
                    return k;
                });
                Console.WriteLine($"fork+exit+reap, depth {Arg(1, 4)}, {Arg(2, 16)} parents, kernels (cgroups, Akka's mailbox) {string.Join(", ", kernels.Keys)}");
                long retries = 0;
                Alternate(Arg(3, 10), rounds, sampler,
                    [.. modes.Select(m => ParseMode(m)).Select((m, i) => new Variant(modes[i], ForkExitReapBenchmarks.Ops,
                        () => retries += kernels[(m.Cgroups, m.AkkaMailbox)].RunCycles(ForkExitReapBenchmarks.Ops, check: false, m.Mode).WaitRetries))]);
                if (retries > 0)
                {
                    Console.WriteLine($"WNOHANG waits repeated: {retries:N0}");
                }
                foreach (var k in kernels.Values)
                {
                    k.AssertBackToFixedTasks();
                    k.Cleanup();
                }
                return 0;
            }
            case "ipc":
            {
                var b = new IpcBenchmarks();
                b.Setup();
                Alternate(Arg(2, 5), rounds, sampler, [.. Str(1, "lock,1,16").Split(',').Select(v => v switch
                {
                    "lock" => new Variant("lock, 1 thread", IpcBenchmarks.Ops, () => b.Lock_msgget_rmid_1_thread()),
                    "lock2" => new Variant("lock, 2 threads", IpcBenchmarks.Ops, () => b.Lock_msgget_rmid_2_threads()),
                    _ => new Variant($"model, {v} tasks", IpcBenchmarks.ActorOps,
                        () => b.RunModel(IpcBenchmarks.ActorOps, int.Parse(v, Inv), checkIds: false)),
                })]);
                b.AssertBack();
                b.Cleanup();
                return 0;
            }
            case "pid":
            {
                var b = new PidAllocBenchmarks();
                b.Setup();
                var inFlight = Arg(1, 64);
                Func<long> body = inFlight switch
                {
                    0 => b.Lock_alloc_free_1_thread,
                    1 => b.Actor_alloc_free_1_in_flight,
                    _ => b.Actor_alloc_free_64_in_flight,
                };
                Alternate(Arg(2, 10), rounds, sampler,
                    [new Variant(inFlight == 0 ? "alloc+free, lock, 1 thread" : $"alloc+free, actor, {inFlight} in flight",
                        inFlight == 0 ? PidAllocBenchmarks.Ops : PidAllocBenchmarks.ActorOps, () => body())]);
                b.Cleanup();
                return 0;
            }
            case "memory":
                return MemoryRun.Run(Arg(1, 1_000_000), args.Length > 2 && args[2] != "bare" ? Arg(2, 0) : null, args.Contains("bare"));
            case "explore":
                return ExploreRun.Run(Str(1, "scenarios/races/canonical-next-id.scn"), Arg(2, 20_000), (ulong)Arg(3, 1), Arg(4, Environment.ProcessorCount), Arg(5, 2));
            case "wakeup":
                return Wakeup();
            default:
                Console.Error.WriteLine("usage: quick fork [depth] [parents] [seconds] [modes] | quick ipc [variants] [seconds] | " +
                                        "quick pid [inflight] [seconds] | quick memory [count] [parents] | quick explore [file] [iterations] [seed] [workers] [rounds] | quick wakeup");
                return 2;
        }
    }

    private static System.Globalization.CultureInfo Inv => System.Globalization.CultureInfo.InvariantCulture;

    private static (CycleMode Mode, CgroupSetup Cgroups, bool AkkaMailbox) ParseMode(string m) =>
        m.EndsWith("+akka", StringComparison.Ordinal) ? (ParseCycle(m[..^5]).Mode, ParseCycle(m[..^5]).Cgroups, true) : (ParseCycle(m).Mode, ParseCycle(m).Cgroups, false);

    private static (CycleMode Mode, CgroupSetup Cgroups) ParseCycle(string m) => m switch
    {
        "blocking" => (CycleMode.Blocking, CgroupSetup.On),
        "nohang" => (CycleMode.NoHang, CgroupSetup.On),
        "nextid" => (CycleMode.NextIdAllLevels, CgroupSetup.On),
        "nextid-inner" => (CycleMode.NextIdInnermost, CgroupSetup.On),
        "cg-off" => (CycleMode.Blocking, CgroupSetup.Off),
        "cg-on" => (CycleMode.Blocking, CgroupSetup.On),
        "cg-limited" => (CycleMode.Blocking, CgroupSetup.Limited),
        _ => throw new ArgumentException($"unknown fork mode '{m}' (blocking, nohang, nextid, nextid-inner, cg-off, cg-on, cg-limited; each with +akka)"),
    };

    /// <summary>One body to measure: <c>Call</c> does <c>OpsPerCall</c> operations.</summary>
    private sealed record Variant(string Name, int OpsPerCall, Action Call);

    /// <summary>Measures each variant for <paramref name="seconds"/>, in turn, <paramref name="rounds"/> times (0: 2 when
    /// there are several variants, else 1); prints each variant's range and, round by round, its ratio to the first.</summary>
    private static void Alternate(int seconds, int rounds, AllocationSampler? sampler, IReadOnlyList<Variant> variants)
    {
        rounds = rounds > 0 ? rounds : variants.Count > 1 ? 2 : 1;
        var rate = new double[variants.Count, rounds];
        for (var r = 0; r < rounds; r++)
        {
            for (var v = 0; v < variants.Count; v++)
            {
                Console.WriteLine($"round {r + 1}/{rounds}: {variants[v].Name}");
                var (ops, perSecond) = Loop(seconds, variants[v].OpsPerCall, variants[v].Call, sampler);
                Report(ops, sampler);
                rate[v, r] = perSecond;
            }
        }
        if (rounds * variants.Count == 1)
        {
            return;
        }
        Console.WriteLine("summary (ops/s per round; ratio to the first variant in the same round):");
        for (var v = 0; v < variants.Count; v++)
        {
            var values = Enumerable.Range(0, rounds).Select(r => rate[v, r]).ToArray();
            var ratios = Enumerable.Range(0, rounds).Select(r => rate[v, r] / rate[0, r]).ToArray();
            Console.WriteLine($"  {variants[v].Name,-28} {string.Join(" / ", values.Select(x => x.ToString("N0", Inv)))}   " +
                              $"range {values.Min().ToString("N0", Inv)}-{values.Max().ToString("N0", Inv)}   " +
                              $"ratio {string.Join(" / ", ratios.Select(x => x.ToString("F2", Inv)))}");
        }
    }

    /// <summary>Checks that a wait(-1) parked before the child exits is woken by the exit (the order a fork/exit/wait
    /// loop has when the parent calls wait at once).</summary>
    private static int Wakeup()
    {
        using var kernel = BenchKernel.Boot("wakeup");
        var init = kernel.Init!;
        var child = kernel.Spawn(init, new Calls.Fork());
        var wait = init.Actor.Ask<SyscallResult>(new TaskProtocol.Call(-1, new Calls.Wait(-1, false)), BenchKernel.Timeout);
        Thread.Sleep(500);
        Console.WriteLine($"wait(-1) parked before the exit, done: {wait.IsCompleted}");
        var exit = kernel.Call(child, new Calls.Exit(0, false));
        Console.WriteLine($"child exit: {exit}");
        var woken = wait.Wait(TimeSpan.FromSeconds(5));
        Console.WriteLine(woken ? $"wait woken: {wait.Result}" : "wait NOT woken within 5 s after the child exited (lost wakeup)");
        return woken ? 0 : 1;
    }

    /// <summary>Runs <paramref name="call"/> for <paramref name="seconds"/> after one second of warm-up (counters and
    /// the allocation sampler are reset after it); returns the operations measured and the operations per second.</summary>
    private static (long Ops, double PerSecond) Loop(int seconds, int opsPerCall, Action call, AllocationSampler? sampler)
    {
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 1)
        {
            call();
        }
        CountingMailbox.Reset();
        TimingMailbox.Reset();
        sampler?.Start();
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var gcBefore = GC.CollectionCount(0);
        var pauseBefore = GC.GetTotalPauseDuration();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var total = Stopwatch.StartNew();
        var tick = Stopwatch.StartNew();
        long ops = 0, tickOps = 0;
        while (total.Elapsed.TotalSeconds < seconds)
        {
            call();
            ops += opsPerCall;
            tickOps += opsPerCall;
            if (tick.Elapsed.TotalSeconds >= 1)
            {
                Console.WriteLine($"  {tickOps / tick.Elapsed.TotalSeconds,12:N0} ops/s   heap {GC.GetTotalMemory(false) >> 20,5} MB, gen2 GCs {GC.CollectionCount(2)}");
                tick.Restart();
                tickOps = 0;
            }
        }
        var elapsed = total.Elapsed;
        sampler?.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        Console.WriteLine($"total {ops:N0} ops in {elapsed.TotalSeconds:F1} s: {ops / elapsed.TotalSeconds:N0} ops/s; " +
                          $"{(GC.GetTotalAllocatedBytes() - allocatedBefore) / (double)ops:N0} B allocated per op; " +
                          $"CPU {cpu.TotalMicroseconds / ops:F2} core-us per op ({cpu / elapsed:F2} cores busy); " +
                          $"{GC.CollectionCount(0) - gcBefore} gen0 GCs, pause {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds / elapsed.TotalSeconds / 10:F1} % of the time");
        return (ops, ops / elapsed.TotalSeconds);
    }

    private static void Report(long ops, AllocationSampler? sampler)
    {
        var counts = CountingMailbox.Counts;
        if (counts.Count > 0)
        {
            Console.WriteLine($"messages enqueued per op: {counts.Sum(c => c.Count) / (double)ops:F2}");
            foreach (var (type, n) in counts)
            {
                Console.WriteLine($"  {n / (double)ops,8:F2}  {type}");
            }
        }
        var times = TimingMailbox.Times;
        if (times.Count > 0)
        {
            Console.WriteLine($"handler time per op, by actor (message dequeued to next dequeue; {TimingMailbox.Dropped:N0} gaps over 200 us dropped):");
            foreach (var g in times.GroupBy(t => t.Kind).OrderByDescending(g => g.Sum(t => t.Seconds)))
            {
                Console.WriteLine($"  {g.Sum(t => t.Seconds) * 1e6 / ops,8:F2} us  {g.Key}");
                foreach (var t in g)
                {
                    Console.WriteLine($"      {t.Seconds * 1e6 / ops,8:F2} us  {t.Count / (double)ops,6:F2} msgs  {t.Seconds * 1e9 / t.Count,8:F0} ns/msg  {t.Type}");
                }
            }
        }
        if (sampler is not null)
        {
            var bytes = sampler.Bytes;
            var sum = bytes.Sum(b => b.Bytes);
            Console.WriteLine($"allocations by type (GCAllocationTick samples, {sum / (double)ops:N0} B per op sampled):");
            foreach (var (type, b) in bytes.Take(30))
            {
                Console.WriteLine($"  {b / (double)ops,8:N0} B  {100.0 * b / sum,5:F1} %  {type}");
            }
        }
    }
}
