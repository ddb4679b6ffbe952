using System.Diagnostics;
using Actors.Kernel.Tasks;
using Akka.Actor;
using Actors.Benchmarks.Pid;
using Actors.Benchmarks.Tasks;

namespace Actors.Benchmarks.Infrastructure;

/// <summary>A console mode without BenchmarkDotNet: runs one benchmark body in a loop for a few seconds and prints
/// operations per second every second. Quick to start, and a steady single process to attach a profiler or
/// dotnet-counters to.</summary>
/// <remarks>
/// <c>quick fork [depth=4] [parents=16] [seconds=10]</c>: fork+exit+reap cycles.
/// <c>quick pid [inflight=64] [seconds=10]</c>: alloc+free through the pid map actor (inflight 0: the lock baseline).
/// <c>quick wakeup</c>: whether a blocked wait(-1) is woken when the child exits later (exit code 1 if not).
/// </remarks>
public static class QuickRun
{
    public static int Run(string[] args)
    {
        var what = args.Length > 0 ? args[0] : "fork";
        int Arg(int i, int dflt) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : dflt;
        switch (what)
        {
            case "fork":
            {
                var b = new ForkExitReapBenchmarks { Depth = Arg(1, 4), Parents = Arg(2, 16) };
                b.Setup();
                Console.WriteLine($"fork+exit+reap, depth {b.Depth}, {b.Parents} parents");
                long retries = 0;
                Loop(Arg(3, 10), ForkExitReapBenchmarks.Ops, () => retries += b.RunCycles(ForkExitReapBenchmarks.Ops, check: false).WaitRetries);
                Console.WriteLine($"WNOHANG waits repeated: {retries:N0}");
                b.AssertBackToFixedTasks();
                b.Cleanup();
                return 0;
            }
            case "pid":
            {
                var b = new PidAllocBenchmarks();
                b.Setup();
                var inFlight = Arg(1, 64);
                Console.WriteLine(inFlight == 0 ? "alloc+free, lock, 1 thread" : $"alloc+free, actor, {inFlight} in flight");
                Func<long> body = inFlight switch
                {
                    0 => b.Lock_alloc_free_1_thread,
                    1 => b.Actor_alloc_free_1_in_flight,
                    _ => b.Actor_alloc_free_64_in_flight,
                };
                Loop(Arg(2, 10), inFlight == 0 ? PidAllocBenchmarks.Ops : PidAllocBenchmarks.ActorOps, () => body());
                b.Cleanup();
                return 0;
            }
            case "wakeup":
                return Wakeup();
            default:
                Console.Error.WriteLine("usage: quick fork [depth] [parents] [seconds] | quick pid [inflight: 0 (lock), 1, 64] [seconds]");
                return 2;
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

    private static void Loop(int seconds, int opsPerCall, Action call)
    {
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
                Console.WriteLine($"  {tickOps / tick.Elapsed.TotalSeconds,12:N0} ops/s");
                tick.Restart();
                tickOps = 0;
            }
        }
        Console.WriteLine($"total {ops:N0} ops in {total.Elapsed.TotalSeconds:F1} s: {ops / total.Elapsed.TotalSeconds:N0} ops/s, " +
                          $"{GC.GetTotalAllocatedBytes() / (double)ops:N0} B allocated per op (whole run incl. setup)");
    }
}
