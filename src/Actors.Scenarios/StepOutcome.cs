using System.Globalization;
using System.Text;
using Actors.Kernel.Tasks;

namespace Actors.Scenarios;

/// <summary>What one step returned, as the transcript prints it, and whether its expectation held.</summary>
/// <param name="Step">The step.</param>
/// <param name="Result">The RESULT text: a number, <c>-1 ERRNO</c>, a quoted string, <c>(dead)</c> or <c>blocks forever</c>.</param>
/// <param name="Passed">Null without an expectation (then a "blocks forever" still fails), else whether it held.</param>
public sealed record StepOutcome(Step Step, string Result, bool? Passed)
{
    /// <summary>True when the step counts as failed.</summary>
    public bool Failed => Passed == false || (Passed is null && Result == BlocksForever);

    /// <summary>The transcript line: <c>LINE: TASK CALL ARGS [-&gt; NEWTASK] = RESULT[   ok | FAIL expected EXPECT]</c>.</summary>
    public string Line
    {
        get
        {
            var line = $"{Step.Line}: {Step.Text} = {Result}";
            return Passed switch
            {
                true => line + "   ok",
                false => line + $"   FAIL expected {Step.Expect!.Text}",
                null when Result == BlocksForever => line + "   FAIL",
                _ => line,
            };
        }
    }

    public const string BlocksForever = "blocks forever";
    public const string Dead = "(dead)";

    /// <summary>Formats a model result for the transcript (read results: without the final newline, or one FIELD).</summary>
    public static string Format(Step step, SyscallResult r)
    {
        if (r.Dead)
        {
            return Dead;
        }
        if (r.Errno != Kernel.Errno.None)
        {
            return $"-1 {r.Errno}";
        }
        if (r.Text is not null)
        {
            var text = r.Text.EndsWith('\n') ? r.Text[..^1] : r.Text;
            if (step.Call == "read" && step.Args.Count == 2)
            {
                text = Field(text, ((Arg.Word)step.Args[1]).Value);
            }
            return Quote(text);
        }
        return r.Value.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The value of the <c>FIELD:</c> line, leading white space trimmed, tabs shown as single spaces; "" when absent.</summary>
    public static string Field(string text, string field)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return line[(field.Length + 1)..].TrimStart(' ', '\t').Replace('\t', ' ');
            }
        }
        return "";
    }

    public static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            if (c is '"' or '\\')
            {
                sb.Append('\\');
            }
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Checks <paramref name="result"/> (already formatted) against the step's expectation.</summary>
    public static bool? Check(Step step, string result, Func<string, long> pidOf)
    {
        return step.Expect switch
        {
            null => null,
            Expectation.Ok => result != Dead && result != BlocksForever && !result.StartsWith("-1 E", StringComparison.Ordinal),
            Expectation.Error e => result == $"-1 {e.Errno}",
            Expectation.Number n => result == n.Value.ToString(CultureInfo.InvariantCulture),
            Expectation.PidOf p => result == pidOf(p.Name).ToString(CultureInfo.InvariantCulture),
            Expectation.Str s => result == Quote(s.Value),
            _ => throw new InvalidOperationException(),
        };
    }
}
