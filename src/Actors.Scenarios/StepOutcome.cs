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

    /// <summary>A string result as the transcript prints it: in double quotes, <c>"</c> and <c>\</c> escaped with a
    /// backslash, newline as <c>\n</c>, CR as <c>\r</c>, other control characters but tab as <c>\xHH</c> (so a whole-file
    /// read stays on one line; the same rule as the conform helper's, native/README.md).</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"' or '\\':
                    sb.Append('\\').Append(c);
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case < ' ' and not '\t' or '\x7f':
                    sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>The inverse of <see cref="Quote"/>: the text of a quoted result, or null when <paramref name="result"/>
    /// is not one.</summary>
    public static string? Unquote(string result)
    {
        if (result.Length < 2 || result[0] != '"' || result[^1] != '"')
        {
            return null;
        }
        var sb = new StringBuilder();
        for (var i = 1; i < result.Length - 1; i++)
        {
            var c = result[i];
            if (c != '\\' || i + 1 >= result.Length - 1)
            {
                sb.Append(c);
                continue;
            }
            var e = result[++i];
            switch (e)
            {
                case 'n':
                    sb.Append('\n');
                    break;
                case 'r':
                    sb.Append('\r');
                    break;
                case 'x' when i + 2 < result.Length - 1 &&
                              int.TryParse(result.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code):
                    sb.Append((char)code);
                    i += 2;
                    break;
                default:
                    sb.Append(e);
                    break;
            }
        }
        return sb.ToString();
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
