using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Actors.Stress;

namespace Actors.Cli;

/// <summary><c>actors stress</c>: a seeded random workload on the real multi-threaded dispatcher, then an audit.</summary>
internal static class StressCommand
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Create()
    {
        var tasks = new Option<int>("--tasks") { Description = "concurrent workers (each drives its own task)", DefaultValueFactory = _ => 64 };
        var duration = new Option<double?>("--duration") { Description = "seconds to run" };
        var ops = new Option<long?>("--ops") { Description = "operations to run (over all workers)" };
        var seed = new Option<ulong?>("--seed") { Description = "seed of the random choices (default: from the clock, printed first)" };
        var depth = new Option<int>("--depth") { Description = "pid namespace levels the workers are spread over (1..33)", DefaultValueFactory = _ => 1 };
        var mix = new Option<string?>("--mix") { Description = "weights, e.g. fork=40,exit=25,kill=5,next_id=10,set_tid=5,ipc=10,unshare=5" };
        var report = new Option<FileInfo?>("--report") { Description = "also write the report as JSON to this file" };
        var progress = new Option<string>("--progress") { Description = "auto | plain | none", DefaultValueFactory = _ => "auto" };
        progress.AcceptOnlyFromAmong("auto", "plain", "none");
        var config = CommonOptions.Config();
        var command = new Command("stress", "Run a seeded random workload on the thread-pool dispatcher, then audit the kernel")
        {
            tasks, duration, ops, seed, depth, mix, report, progress, config,
        };
        command.SetAction(parse =>
        {
            var seedValue = parse.GetValue(seed) ?? (ulong)DateTime.UtcNow.Ticks % 1_000_000_007UL;
            Console.Error.WriteLine($"seed: {seedValue}");
            var mixText = parse.GetValue(mix);
            string? error = null;
            var weights = mixText is null ? StressOptions.DefaultMix : StressOptions.ParseMix(mixText, out error);
            if (weights is null)
            {
                Console.Error.WriteLine(error);
                return CommonOptions.UsageError;
            }
            var seconds = parse.GetValue(duration);
            var opCount = parse.GetValue(ops);
            if (seconds is null && opCount is null)
            {
                seconds = 10;
            }
            if (parse.GetValue(tasks) < 1 || parse.GetValue(depth) is < 1 or > 33 || seconds <= 0 || opCount <= 0)
            {
                Console.Error.WriteLine("--tasks, --duration and --ops must be positive; --depth in 1..33");
                return CommonOptions.UsageError;
            }
            var cfg = CommonOptions.Load(parse.GetValue(config));
            if (cfg is null)
            {
                return CommonOptions.UsageError;
            }
            var options = new StressOptions(parse.GetValue(tasks), seconds is { } s ? TimeSpan.FromSeconds(s) : null, opCount, seedValue, parse.GetValue(depth), weights);
            return Run(options, cfg, parse.GetValue(report), parse.GetValue(progress)!);
        });
        return command;
    }

    private static int Run(StressOptions options, Akka.Configuration.Config config, FileInfo? reportFile, string progressMode)
    {
        using var run = new StressRun(config, options);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true; // stop cleanly and still audit
            Console.Error.WriteLine("stopping: finishing the operations in progress, then auditing");
            run.Stop();
        };
        var show = progressMode != "none";
        var report = run.RunAsync((stats, elapsed, live) =>
        {
            if (!show)
            {
                return;
            }
            var errors = string.Join(" ", stats.Errors.OrderBy(kv => kv.Key.ToString(), StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {elapsed.TotalSeconds,6:0.0} s  {stats.Ops,10} ops  {stats.Ops / Math.Max(elapsed.TotalSeconds, 0.001),9:0} ops/s  {live,7} live tasks  errors: {(errors.Length == 0 ? "none" : errors)}"));
        }).GetAwaiter().GetResult();
        Print(report);
        if (reportFile is not null)
        {
            File.WriteAllText(reportFile.FullName, JsonSerializer.Serialize(report, s_json) + "\n");
        }
        return report.AuditPassed ? 0 : 1;
    }

    private static void Print(StressReport r)
    {
        var ic = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(ic, $"seed {r.Seed}, {r.Tasks} tasks, depth {r.Depth}{(r.Interrupted ? ", interrupted" : "")}"));
        Console.WriteLine(string.Create(ic, $"{r.Ops} operations in {r.Seconds:0.00} s: {r.OpsPerSecond:0} ops/s; fork+exit+reap {r.ForkExitReap} ({r.ForkExitReapPerSecond:0}/s)"));
        Console.WriteLine("calls by kind (calls/s):");
        foreach (var (name, n) in r.Calls)
        {
            Console.WriteLine(string.Create(ic, $"  {name,-22} {n,10}  {n / Math.Max(r.Seconds, 0.001),10:0}/s"));
        }
        Console.WriteLine("errors: " + (r.Errors.Count == 0 ? "none" : string.Join(", ", r.Errors.Select(kv => $"{kv.Key} {kv.Value}"))));
        Console.WriteLine($"at the end: {r.LiveTasks} tasks, {r.IpcObjects} message queues");
        Console.WriteLine(r.AuditPassed ? "audit: passed (every number and IPC id held exactly once, nothing leaked, links consistent)" : $"audit: FAILED: {r.AuditFailure}");
    }
}
