using Actors.Kernel;

namespace Actors.Scenarios;

/// <summary>How one step compares.</summary>
public enum ConformVerdict
{
    Same,
    Differs,
    /// <summary>Only the model can carry it out: neither same nor different.</summary>
    ModelOnly,
}

/// <summary>One step of a conform comparison: its line, both transcript lines (null when that side did not get to
/// it: the report says why) and the verdict.</summary>
public sealed record ConformLine(int Line, string? Model, string? Linux, ConformVerdict Verdict)
{
    /// <summary><c>LINE: model-line | linux-line</c>, each side without its own line number.</summary>
    public string SideBySide => $"{Line}: {Model ?? "(not run)"} | {Linux ?? "(not run)"}";
}

/// <summary>The comparison of one file's model and Linux transcripts.</summary>
public sealed record ConformResult(string File, FileRun Model, LinuxRun? Linux, IReadOnlyList<ConformLine> Lines)
{
    /// <summary>A scenario error (<c>FILE:LINE: ...</c>) that both sides met, or that stopped the file before it ran.</summary>
    public string? ScenarioError =>
        Model.Error is not null && (Linux is null || Linux.Error == Model.Error) ? Model.Error : null;

    /// <summary>Every step that ran on both sides gave the same line (model-only steps aside), and neither side failed.</summary>
    public bool Same => ScenarioError is null && Linux is { HelperError: null } && Model.Violation is null &&
                        Lines.All(l => l.Verdict != ConformVerdict.Differs);

    public int ModelOnlySteps => Lines.Count(l => l.Verdict == ConformVerdict.ModelOnly);

    /// <summary>What <c>actors conform</c> prints for the file: <c>FILE: same</c> or <c>FILE: differs</c> followed by the
    /// differing lines side by side, and what failed on either side.</summary>
    public IEnumerable<string> Report()
    {
        yield return $"{File}: {(Same ? "same" : "differs")}";
        if (Same)
        {
            yield break;
        }
        foreach (var l in Lines.Where(l => l.Verdict == ConformVerdict.Differs))
        {
            yield return l.SideBySide;
        }
        if (Model.Violation is not null)
        {
            yield return $"model: {Model.Violation}";
        }
        if (Model.Error is not null && ScenarioError is null)
        {
            yield return $"model: {Model.Error}";
        }
        if (Linux?.Error is not null && ScenarioError is null)
        {
            yield return $"linux: {Linux.Error}";
        }
        if (Linux?.HelperError is not null)
        {
            yield return $"linux: {Linux.HelperError}";
        }
    }

    /// <summary>Both transcripts side by side (every step), for test failures and <c>--transcripts</c>.</summary>
    public IEnumerable<string> Transcripts()
    {
        foreach (var l in Lines)
        {
            var mark = l.Verdict switch
            {
                ConformVerdict.Same => "  ",
                ConformVerdict.ModelOnly => "m ",
                _ => "! ",
            };
            yield return mark + l.SideBySide;
        }
    }

    /// <summary>Compares the two runs step by step, in written order.</summary>
    public static ConformResult Compare(Scenario scenario, FileRun model, LinuxRun? linux)
    {
        var m = model.Outcomes.ToDictionary(o => o.Step.Line);
        var x = linux?.Outcomes.ToDictionary(o => o.Step.Line) ?? [];
        var lines = new List<ConformLine>();
        foreach (var step in scenario.Steps)
        {
            var mo = m.GetValueOrDefault(step.Line);
            var lo = x.GetValueOrDefault(step.Line);
            if (mo is null && lo is null)
            {
                continue;
            }
            var ml = mo is null ? null : Strip(mo.Line);
            var ll = lo is null ? null : Strip(lo.Line);
            var verdict = lo?.Result == LinuxRunner.ModelOnly ? ConformVerdict.ModelOnly
                : ml is not null && ml == ll ? ConformVerdict.Same
                : ConformVerdict.Differs;
            lines.Add(new ConformLine(step.Line, ml, ll, verdict));
        }
        return new ConformResult(scenario.File, model, linux, lines);
    }

    /// <summary>The model and Linux sides of one file: the model with <paramref name="runner"/>, Linux with the helper.
    /// A file that cannot be parsed, or whose config is refused, runs on neither.</summary>
    public static ConformResult RunFile(string path, ModelRunner runner, LinuxRunnerOptions options,
        Action<HelperProcess, Step?>? beforeStep = null)
    {
        Scenario scenario;
        try
        {
            scenario = ScenarioParser.ParseFile(path);
        }
        catch (ScenarioException e)
        {
            return new ConformResult(path, new FileRun(path, [], e.Message, null), null, []);
        }
        KernelSettings settings;
        try
        {
            settings = ScenarioExecution.EffectiveSettings(scenario, runner.Settings);
        }
        catch (ScenarioException e)
        {
            return new ConformResult(path, new FileRun(path, [], e.Message, null), null, []);
        }
        var model = runner.Run(scenario);
        var linux = LinuxRunner.Run(scenario, settings, ConformPlan.For(scenario, settings), options, beforeStep);
        return Compare(scenario, model, linux);
    }

    private static string Strip(string transcriptLine) =>
        transcriptLine[(transcriptLine.IndexOf(": ", StringComparison.Ordinal) + 2)..];
}
