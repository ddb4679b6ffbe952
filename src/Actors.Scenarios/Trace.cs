using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Actors.Scenarios;

/// <summary>One controlled step of a schedule: the actor that ran (its path below the host) and the message it took.</summary>
public sealed record TraceStep(string Actor, string Message);

/// <summary>A replayable record of a violating schedule (JSON, format <c>actors-trace/1</c>; see docs/trace-format.md).</summary>
public sealed record Trace
{
    public const string CurrentFormat = "actors-trace/1";

    public string Format { get; init; } = CurrentFormat;
    public required string Scenario { get; init; }
    public required string ScenarioSha256 { get; init; }
    public required string Strategy { get; init; }
    public required ulong Seed { get; init; }
    public required int Iteration { get; init; }
    public required int MaxSteps { get; init; }
    public required string Violation { get; init; }
    public required IReadOnlyList<TraceStep> Steps { get; init; }

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string Hash(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>The trace of violation <paramref name="v"/>, found exploring <paramref name="scenario"/> with <paramref name="options"/>.</summary>
    public static Trace Of(Scenario scenario, ExploreOptions options, Violation v) => new()
    {
        Scenario = Path.GetFullPath(scenario.File),
        ScenarioSha256 = File.Exists(scenario.File) ? Hash(scenario.File) : "",
        Strategy = v.Strategy,
        Seed = options.Seed,
        Iteration = v.Iteration,
        MaxSteps = options.MaxSteps,
        Violation = v.What,
        Steps = v.Steps,
    };

    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    public void Save(string path) => File.WriteAllText(path, ToJson() + "\n");

    /// <summary>Reads a trace; <see cref="FormatException"/> with what is wrong when it is not one.</summary>
    public static Trace Load(string path)
    {
        try
        {
            var trace = JsonSerializer.Deserialize<Trace>(File.ReadAllText(path), s_json)
                ?? throw new FormatException("empty trace");
            if (trace.Format != CurrentFormat)
            {
                throw new FormatException($"format '{trace.Format}' is not {CurrentFormat}");
            }
            return trace;
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a trace file: {e.Message}", e);
        }
    }
}
