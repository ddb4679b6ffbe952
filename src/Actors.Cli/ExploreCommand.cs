using System.CommandLine;
using System.Globalization;
using Actors.Scenarios;

namespace Actors.Cli;

/// <summary><c>actors explore FILE</c> and <c>actors replay TRACE</c>.</summary>
internal static class ExploreCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "scenario file" };
        var strategy = new Option<string>("--strategy")
        {
            Description = "random | pct | dfs | portfolio",
            DefaultValueFactory = _ => "portfolio",
        };
        strategy.AcceptOnlyFromAmong("random", "pct", "dfs", "portfolio");
        var iterations = new Option<int>("--iterations") { Description = "most schedules to explore", DefaultValueFactory = _ => 1000 };
        var seed = new Option<ulong?>("--seed") { Description = "seed of the random choices (default: from the clock, printed first)" };
        var maxSteps = new Option<int>("--max-steps") { Description = "most controlled steps in parallel blocks per schedule", DefaultValueFactory = _ => 10000 };
        var depth = new Option<int>("--pct-depth") { Description = "PCT depth d", DefaultValueFactory = _ => 3 };
        var keepGoing = new Option<bool>("--keep-going") { Description = "count every violating schedule instead of stopping at the first" };
        var workers = new Option<int>("--workers")
        {
            Description = "schedules explored at once, one thread and actor system each, for random (default: the number of cores; the result is the same)",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var traceOut = new Option<FileInfo?>("--trace-out") { Description = "where to write the trace of a violation (default: ./NAME.trace.json)" };
        var config = CommonOptions.Config();
        var command = new Command("explore", "Explore the interleavings of a scenario's parallel blocks and report violations")
        {
            file, strategy, iterations, seed, maxSteps, depth, keepGoing, workers, traceOut, config,
        };
        command.SetAction(parse =>
        {
            var options = new ExploreOptions(
                parse.GetValue(strategy)!, parse.GetValue(iterations),
                parse.GetValue(seed) ?? (ulong)DateTime.UtcNow.Ticks % 1_000_000_007UL,
                parse.GetValue(maxSteps), parse.GetValue(depth), parse.GetValue(keepGoing), parse.GetValue(workers));
            return Explore(parse.GetValue(file)!, options, parse.GetValue(traceOut), parse.GetValue(config));
        });
        return command;
    }

    public static Command CreateReplay()
    {
        var trace = new Argument<FileInfo>("TRACE") { Description = "trace file written by explore" };
        var config = CommonOptions.Config();
        var command = new Command("replay", "Re-execute a recorded schedule exactly") { trace, config };
        command.SetAction(parse => Replay(parse.GetValue(trace)!, parse.GetValue(config)));
        return command;
    }

    private static int Explore(FileInfo file, ExploreOptions options, FileInfo? traceOut, FileInfo? configFile)
    {
        Console.Error.WriteLine($"seed: {options.Seed}");
        if (options.Iterations < 1 || options.MaxSteps < 1 || options.PctDepth < 1 || options.Workers < 1)
        {
            Console.Error.WriteLine("--iterations, --max-steps, --pct-depth and --workers must be positive");
            return CommonOptions.UsageError;
        }
        var config = CommonOptions.Load(configFile);
        if (config is null)
        {
            return CommonOptions.UsageError;
        }
        Scenario scenario;
        try
        {
            scenario = ScenarioParser.ParseFile(file.ToString());
        }
        catch (ScenarioException e)
        {
            Console.Error.WriteLine(e.Message);
            return CommonOptions.UsageError;
        }
        using var runner = new ModelRunner(config);
        var progress = new Progress(options.Iterations);
        var result = new Explorer(runner).Explore(scenario, options, progress.Report);
        progress.Done();
        if (result.Violations.Count > 0)
        {
            var v = result.Violations[0];
            var path = traceOut?.FullName ?? Path.GetFullPath(Path.GetFileNameWithoutExtension(file.Name) + ".trace.json");
            Trace.Of(scenario, options, v).Save(path);
            PrintViolation(v);
            Console.WriteLine($"replay: actors replay {path}");
        }
        Console.WriteLine(result.Summary);
        return result.Violations.Count > 0 ? 1 : 0;
    }

    private static int Replay(FileInfo traceFile, FileInfo? configFile)
    {
        Trace trace;
        Scenario scenario;
        try
        {
            trace = Trace.Load(traceFile.FullName);
            scenario = ScenarioParser.ParseFile(trace.Scenario);
        }
        catch (Exception e) when (e is FormatException or IOException or ScenarioException)
        {
            Console.Error.WriteLine($"{traceFile}: {e.Message}");
            return CommonOptions.UsageError;
        }
        if (Trace.Hash(trace.Scenario) != trace.ScenarioSha256)
        {
            Console.Error.WriteLine($"warning: {trace.Scenario} changed since the trace was recorded; replaying by actor and message labels");
        }
        var config = CommonOptions.Load(configFile);
        if (config is null)
        {
            return CommonOptions.UsageError;
        }
        using var runner = new ModelRunner(config);
        Violation? violation;
        IReadOnlyList<string> transcript;
        try
        {
            (violation, transcript) = new Explorer(runner).Replay(scenario, trace.Steps, trace.MaxSteps);
        }
        catch (Actors.Scheduling.ReplayDivergenceException e)
        {
            Console.Error.WriteLine($"{traceFile}: replay diverged at step {e.StepIndex + 1}: {e.Message}");
            return CommonOptions.UsageError;
        }
        if (violation is null)
        {
            foreach (var line in transcript)
            {
                Console.WriteLine(line);
            }
            Console.WriteLine($"replayed {trace.Steps.Count} steps: the violation did not reproduce");
            return 0;
        }
        PrintViolation(violation with { Iteration = trace.Iteration, Strategy = trace.Strategy });
        return 1;
    }

    private static void PrintViolation(Violation v)
    {
        Console.WriteLine($"violation in schedule {v.Iteration} ({v.Strategy}): {v.What}");
        Console.WriteLine("transcript:");
        foreach (var line in v.Transcript)
        {
            Console.WriteLine("  " + line);
        }
        Console.WriteLine($"schedule ({v.Steps.Count} controlled steps in parallel blocks; actor <- message):");
        var width = v.Steps.Count == 0 ? 0 : v.Steps.Max(s => s.Actor.Length);
        for (var i = 0; i < v.Steps.Count; i++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {i + 1,4}  {v.Steps[i].Actor.PadRight(width)}  <- {v.Steps[i].Message}"));
        }
    }

    /// <summary>Progress on stderr: plain lines, at most one per second.</summary>
    private sealed class Progress(int total)
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private TimeSpan _last;

        public void Report(int schedules, int violations)
        {
            if (_clock.Elapsed - _last < TimeSpan.FromSeconds(1))
            {
                return;
            }
            _last = _clock.Elapsed;
            Console.Error.WriteLine($"  {schedules}/{total} schedules, {violations} violations, {schedules / _clock.Elapsed.TotalSeconds:0} schedules/s");
        }

        public void Done() => Console.Error.Flush();
    }
}
