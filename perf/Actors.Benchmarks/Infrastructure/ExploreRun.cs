using System.Diagnostics;
using Actors.Kernel;
using Actors.Kernel.Specifications;
using Actors.Scenarios;
using Actors.Scheduling;
using Akka.Configuration;

namespace Actors.Benchmarks.Infrastructure;

/// <summary><c>quick explore [file] [iterations] [seed]</c>: explorer schedules per second, and where a schedule's time goes.</summary>
/// <remarks>
/// Part 1 runs what <c>actors explore FILE --strategy random --iterations N --seed S [--workers W]</c> runs
/// (<see cref="Explorer"/>, the CLI's configuration) and reports schedules per second: each schedule on a fresh kernel
/// (<c>actors.explorer.checkpoint = off</c>, the baseline) and each started from the checkpoint after the scenario's
/// prefix (the default), alternated round by round, with their ratio. Part 2 runs a sample of the
/// same schedules (same seed, same iterations) through <see cref="ScenarioExecution"/> directly, to count the
/// controlled steps per schedule (all of them, and those inside parallel blocks, which a violation report lists) and
/// to time each phase: new kernel (boot to quiescence), the scenario's steps, teardown; then times the invariant checks
/// the explorer runs after every controlled step and at every quiescence. Target (issue 4): 20,000 schedules per second.
/// </remarks>
public static class ExploreRun
{
    /// <summary>The CLI's profile (hocon/run.conf) minus the dispatcher line, which <see cref="ModelRunner"/> sets.</summary>
    public const string Hocon = """
        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
        }
        """;

    public static int Run(string file, int iterations, ulong seed, int workers, int rounds)
    {
        var scenario = ScenarioParser.ParseFile(file);
        var config = ConfigurationFactory.ParseString(Hocon).WithFallback(KernelConfig.Default());
        using var runner = new ModelRunner(ConfigurationFactory.ParseString("actors.explorer.checkpoint = off").WithFallback(config));
        using var checkpointed = new ModelRunner(config);

        // Part 1: the explorer as the CLI runs it, fresh kernels and checkpoints, one worker and then `workers` workers,
        // alternated `rounds` times after a warm-up round (JIT) of each; the same schedules each time, so the results
        // must be equal.
        ExploreResult? reference = null;
        var rates = new Dictionary<(string, int), List<double>>();
        for (var round = 0; round <= rounds; round++)
        {
            foreach (var (mode, w) in new[] { "fresh", "checkpoint" }.SelectMany(m => (workers > 1 ? new[] { 1, workers } : [1]).Select(w => (m, w))))
            {
                var options = new ExploreOptions("random", iterations, seed, Workers: w);
                var allocated = GC.GetTotalAllocatedBytes();
                var gen0 = GC.CollectionCount(0);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var result = new Explorer(mode == "fresh" ? runner : checkpointed).Explore(scenario, options);
                cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                var rate = result.Schedules / result.Elapsed.TotalSeconds;
                Console.WriteLine($"{(round == 0 ? "warm-up" : $"round {round}")}, {mode}, {w} worker(s): {result.Summary}: {rate:N0} schedules/s; " +
                                  $"{(GC.GetTotalAllocatedBytes() - allocated) / (double)result.Schedules / 1024:N0} KB allocated per schedule, " +
                                  $"{GC.CollectionCount(0) - gen0} gen0 GCs; CPU {cpu.TotalMicroseconds / result.Schedules:N0} core-us per schedule " +
                                  $"({cpu / result.Elapsed:F2} cores busy)");
                if (result.Violations.Count > 0)
                {
                    Console.WriteLine($"violation: {result.Violations[0].What}");
                    return 1;
                }
                reference ??= result;
                if (result.Schedules != reference.Schedules || result.ViolationCount != reference.ViolationCount)
                {
                    throw new InvalidOperationException($"{w} workers explored differently: {result.Summary} vs {reference.Summary}");
                }
                if (round > 0)
                {
                    (rates.TryGetValue((mode, w), out var list) ? list : rates[(mode, w)] = []).Add(rate);
                }
            }
            if (round > 0)
            {
                Console.WriteLine($"  ratio checkpoint / fresh, 1 worker: {rates[("checkpoint", 1)][^1] / rates[("fresh", 1)][^1]:F2}" +
                                  (workers > 1 ? $"; {workers} workers: {rates[("checkpoint", workers)][^1] / rates[("fresh", workers)][^1]:F2}; " +
                                                 $"checkpoint {workers} workers / fresh 1 worker: {rates[("checkpoint", workers)][^1] / rates[("fresh", 1)][^1]:F2}" : ""));
            }
        }
        foreach (var ((mode, w), list) in rates)
        {
            Console.WriteLine($"{mode}, {w} worker(s): {list.Min():N0}-{list.Max():N0} schedules/s over {list.Count} round(s)");
        }

        // Part 2: the same schedules, phase by phase.
        var sample = Math.Min(iterations, 5000);
        var strategy = new RandomStrategy(seed);
        long steps = 0, blockSteps = 0;
        int minBlock = int.MaxValue, maxBlock = 0;
        var boot = TimeSpan.Zero;
        var body = TimeSpan.Zero;
        var teardown = TimeSpan.Zero;
        var clock = new Stopwatch();
        ScenarioExecution? lastExecution = null;
        var gcs = GC.CollectionCount(0);
        using var dynamicMethods = new DynamicMethodCounter();
        dynamicMethods.Start();
        for (var i = 0; i < sample; i++)
        {
            strategy.PrepareIteration(i);
            clock.Restart();
            var execution = new ScenarioExecution(runner.Host, scenario, runner.Settings);
            boot += clock.Elapsed;
            clock.Restart();
            if (!execution.RunExplored(strategy, new ExploreOptions().MaxSteps))
            {
                throw new InvalidOperationException($"schedule {i} hit the step bound");
            }
            body += clock.Elapsed;
            steps += execution.Schedule.Count;
            blockSteps += execution.BlockSchedule.Count;
            minBlock = Math.Min(minBlock, execution.BlockSchedule.Count);
            maxBlock = Math.Max(maxBlock, execution.BlockSchedule.Count);
            if (i == sample - 1)
            {
                lastExecution = execution; // keep the last kernel to time the invariant checks on it
                break;
            }
            clock.Restart();
            execution.Dispose();
            teardown += clock.Elapsed;
        }
        dynamicMethods.Stop();
        gcs = GC.CollectionCount(0) - gcs;
        var total = boot + body + teardown;
        var n = (double)sample;
        Console.WriteLine($"{sample:N0} schedules phase by phase: {n / total.TotalSeconds:N0} schedules/s; per schedule " +
                          $"{total.TotalMicroseconds / n:F0} us = new kernel {boot.TotalMicroseconds / n:F0} us + steps " +
                          $"{body.TotalMicroseconds / n:F0} us + teardown {teardown.TotalMicroseconds / (n - 1):F0} us");
        Console.WriteLine($"controlled steps per schedule: {steps / n:F1} in all (boot included), {blockSteps / n:F1} inside " +
                          $"the parallel block (min {minBlock}, max {maxBlock}); {total.TotalMicroseconds / steps * 1000:F0} ns per step; " +
                          $"{dynamicMethods.Count / n:F1} dynamic methods compiled per schedule; {gcs} gen0 GCs");

        // The same schedules from a checkpoint: what a restore costs, and the steps after it.
        var restore = TimeSpan.Zero;
        body = TimeSpan.Zero;
        var restored = 0;
        clock.Restart();
        using (var kept = new ScenarioExecution(checkpointed.Host, scenario, checkpointed.Settings))
        {
            kept.RunPrefixAndCheckpoint();
            var first = clock.Elapsed;
            for (var i = 0; i < sample; i++)
            {
                strategy.PrepareIteration(i);
                clock.Restart();
                if (i > 0 && !kept.TryRestore())
                {
                    Console.WriteLine($"schedule {i}: the checkpoint was not restored (the schedule before did not end at rest, or an " +
                                      "actor of the prefix it stopped cannot be brought back); the explorer uses fresh kernels for this scenario");
                    break;
                }
                restore += clock.Elapsed;
                restored += i > 0 ? 1 : 0;
                clock.Restart();
                kept.RunExplored(strategy, new ExploreOptions().MaxSteps);
                body += clock.Elapsed;
            }
            if (restored < sample - 1)
            {
                return 0;
            }
            Console.WriteLine($"{sample:N0} schedules from a checkpoint: {n / (restore + body).TotalSeconds:N0} schedules/s; per schedule " +
                              $"{(restore + body).TotalMicroseconds / n:F0} us = restore {restore.TotalMicroseconds / restored:F0} us + steps " +
                              $"{body.TotalMicroseconds / n:F0} us; the checkpoint (new kernel, prefix, snapshot) took {first.TotalMicroseconds:F0} us " +
                              $"once and holds {kept.CheckpointSize}");
        }

        // The checks run after every controlled step (CheckStep) and at every quiescence (CheckQuiescent).
        var view = lastExecution!.Context.View;
        const int reps = 20_000;
        clock.Restart();
        for (var i = 0; i < reps; i++)
        {
            KernelInvariants.CheckStep(view);
        }
        var step = clock.Elapsed.TotalMicroseconds / reps;
        clock.Restart();
        for (var i = 0; i < reps; i++)
        {
            KernelInvariants.CheckQuiescent(view);
        }
        var quiescent = clock.Elapsed.TotalMicroseconds / reps;
        Console.WriteLine($"invariant checks on the final kernel: CheckStep {step:F2} us, CheckQuiescent {quiescent:F2} us " +
                          $"(x {steps / n:F0} steps = {step * steps / n:F0} us per schedule for CheckStep)");
        lastExecution.Dispose();
        return 0;
    }
}
