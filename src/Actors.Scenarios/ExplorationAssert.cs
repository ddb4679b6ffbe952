using System.Text;

namespace Actors.Scenarios;

/// <summary>Assertions for users' own test suites (any test framework): explore a scenario with a strategy and a
/// budget and assert no violation, or assert that a violation of some kind is found within the budget. A failure
/// throws <see cref="ExplorationException"/> whose message holds the violation, the transcript, the schedule and the
/// trace as JSON (save it to a file and `actors replay` it).</summary>
/// <example><code>
/// using var runner = new ModelRunner(KernelConfig.Default());
/// var scenario = ScenarioParser.Parse("race.scn", text);
/// ExplorationAssert.NoViolation(runner, scenario, new ExploreOptions("dfs", Iterations: 100_000));
/// ExplorationAssert.Finds(runner, scenario, new ExploreOptions("pct", Iterations: 200, Seed: 7), v => v.What.Contains("FAIL"));
/// </code></example>
public static class ExplorationAssert
{
    /// <summary>Explores and throws when any schedule violates something.</summary>
    public static ExploreResult NoViolation(ModelRunner runner, Scenario scenario, ExploreOptions options)
    {
        var result = new Explorer(runner).Explore(scenario, options with { KeepGoing = false });
        if (result.Violations.Count > 0)
        {
            throw new ExplorationException(Report(scenario, options, result.Violations[0], "expected no violation"), result.Violations[0]);
        }
        return result;
    }

    /// <summary>Explores until a violation that <paramref name="kind"/> accepts (any, when null) is found; throws when
    /// none is found within the budget. Returns that violation.</summary>
    public static Violation Finds(ModelRunner runner, Scenario scenario, ExploreOptions options, Func<Violation, bool>? kind = null)
    {
        var result = new Explorer(runner).Explore(scenario, options with { KeepGoing = kind is not null });
        var found = result.Violations.FirstOrDefault(v => kind is null || kind(v));
        return found ?? throw new ExplorationException(
            $"no violation{(kind is null ? "" : " of the expected kind")} in {result.Schedules} schedules " +
            $"({options.Strategy}, seed {options.Seed}){(result.Exhausted ? ", every schedule explored" : "")}; " +
            $"other violations: {result.Violations.Count}", result.Violations.Count > 0 ? result.Violations[0] : null);
    }

    /// <summary>The readable report of a violation: what, transcript, schedule, and the trace JSON.</summary>
    public static string Report(Scenario scenario, ExploreOptions options, Violation v, string headline)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{headline}: schedule {v.Iteration} ({v.Strategy}) of {scenario.File}: {v.What}");
        sb.AppendLine("transcript:");
        foreach (var line in v.Transcript)
        {
            sb.AppendLine("  " + line);
        }
        sb.AppendLine($"schedule ({v.Steps.Count} steps):");
        for (var i = 0; i < v.Steps.Count; i++)
        {
            sb.AppendLine($"  {i + 1,4}  {v.Steps[i].Actor}  <- {v.Steps[i].Message}");
        }
        sb.AppendLine("trace (save as a .json file and run `actors replay FILE`):");
        sb.AppendLine(Trace.Of(scenario, options, v).ToJson());
        return sb.ToString();
    }
}

/// <summary>An exploration assertion failed; the message holds the report and the trace.</summary>
public sealed class ExplorationException(string message, Violation? violation) : Exception(message)
{
    public Violation? Violation { get; } = violation;
}
