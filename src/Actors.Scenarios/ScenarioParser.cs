using System.Globalization;
using System.Text;

namespace Actors.Scenarios;

/// <summary>Parses and statically checks scenario files (spec: scenario-language.md, "Lines" and "Calls").</summary>
/// <remarks>Every error is a <see cref="ScenarioException"/> naming the file and line; a file with an error is not run.</remarks>
public static class ScenarioParser
{
    /// <summary>Reads and parses <paramref name="path"/>.</summary>
    public static Scenario ParseFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException(path, 0, $"cannot read: {e.Message}");
        }
        return Parse(path, text);
    }

    /// <summary>Parses scenario <paramref name="text"/>; <paramref name="file"/> names it in errors.</summary>
    public static Scenario Parse(string file, string text)
    {
        var config = new List<ConfigEntry>();
        var items = new List<ScenarioItem>();
        List<Step>? block = null;
        var blockLine = 0;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var lineNo = i + 1;
            var tokens = Tokenize(file, lineNo, lines[i].TrimEnd('\r'));
            if (tokens.Count == 0)
            {
                continue;
            }
            var first = tokens[0];
            if (first is { Quoted: false, Text: "config" })
            {
                if (items.Count > 0 || block is not null)
                {
                    throw new ScenarioException(file, lineNo, "config lines must come before the first step");
                }
                if (tokens.Count < 2)
                {
                    throw new ScenarioException(file, lineNo, "config needs KEY=VALUE");
                }
                foreach (var t in tokens.Skip(1))
                {
                    config.Add(ParseConfig(file, lineNo, t));
                }
                continue;
            }
            if (first is { Quoted: false, Text: "parallel" })
            {
                if (tokens.Count != 1)
                {
                    throw new ScenarioException(file, lineNo, "parallel takes no arguments");
                }
                if (block is not null)
                {
                    throw new ScenarioException(file, lineNo, $"parallel blocks do not nest (block opened at line {blockLine})");
                }
                block = [];
                blockLine = lineNo;
                continue;
            }
            if (first is { Quoted: false, Text: "end" })
            {
                if (tokens.Count != 1)
                {
                    throw new ScenarioException(file, lineNo, "end takes no arguments");
                }
                if (block is null)
                {
                    throw new ScenarioException(file, lineNo, "end without parallel");
                }
                if (block.Count == 0)
                {
                    throw new ScenarioException(file, lineNo, "empty parallel block");
                }
                items.Add(new ParallelBlock(blockLine, block));
                block = null;
                continue;
            }
            var step = ParseStep(file, lineNo, tokens);
            if (block is not null)
            {
                block.Add(step);
            }
            else
            {
                items.Add(step);
            }
        }
        if (block is not null)
        {
            throw new ScenarioException(file, blockLine, "parallel block without end");
        }
        var scenario = new Scenario(file, config, items);
        ScenarioChecker.Check(scenario);
        return scenario;
    }

    private static ConfigEntry ParseConfig(string file, int line, Token t)
    {
        var eq = t.Text.IndexOf('=', StringComparison.Ordinal);
        if (t.Quoted || eq <= 0)
        {
            throw new ScenarioException(file, line, $"config expects KEY=VALUE, got '{t.Text}'");
        }
        var key = t.Text[..eq];
        if (!ScenarioChecker.ConfigKeys.ContainsKey(key))
        {
            throw new ScenarioException(file, line, $"unknown config key '{key}' (known: {string.Join(", ", ScenarioChecker.ConfigKeys.Keys)})");
        }
        var value = t.Text[(eq + 1)..];
        var error = ScenarioChecker.ConfigKeys[key].Validate(value);
        if (error is not null)
        {
            throw new ScenarioException(file, line, $"config {key}: {error}");
        }
        return new ConfigEntry(line, key, value);
    }

    private static Step ParseStep(string file, int line, List<Token> tokens)
    {
        if (tokens.Count < 2)
        {
            throw new ScenarioException(file, line, "a step needs TASK CALL");
        }
        var task = tokens[0];
        if (task.Quoted || !IsName(task.Text))
        {
            throw new ScenarioException(file, line, $"'{task.Text}' is not a task name");
        }
        var call = tokens[1];
        if (call.Quoted)
        {
            throw new ScenarioException(file, line, "the call name cannot be quoted");
        }
        var args = new List<Arg>();
        string? bind = null;
        Expectation? expect = null;
        var printed = new List<string> { task.Raw, call.Raw };
        var k = 2;
        for (; k < tokens.Count && !tokens[k].IsArrow; k++)
        {
            args.Add(ParseArg(file, line, tokens[k]));
            printed.Add(tokens[k].Raw);
        }
        if (k < tokens.Count && tokens[k] is { Quoted: false, Text: "->" })
        {
            if (k + 1 >= tokens.Count || tokens[k + 1].Quoted || !IsName(tokens[k + 1].Text))
            {
                throw new ScenarioException(file, line, "-> needs a new task name");
            }
            bind = tokens[k + 1].Text;
            printed.Add("->");
            printed.Add(bind);
            k += 2;
        }
        if (k < tokens.Count && tokens[k] is { Quoted: false, Text: "=>" })
        {
            if (k + 2 != tokens.Count)
            {
                throw new ScenarioException(file, line, "=> needs exactly one expected result at the end of the line");
            }
            expect = ParseExpectation(file, line, tokens[k + 1]);
            k += 2;
        }
        if (k != tokens.Count)
        {
            throw new ScenarioException(file, line, $"unexpected '{tokens[k].Raw}'");
        }
        return new Step(line, task.Text, call.Text, args, bind, expect, string.Join(' ', printed));
    }

    private static Arg ParseArg(string file, int line, Token t)
    {
        if (t.Quoted)
        {
            return new Arg.Str(t.Text);
        }
        if (long.TryParse(t.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && !t.Text.StartsWith('+'))
        {
            return t.Text.Length > 1 && t.Text[0] == '0' ? new Arg.Word(t.Text) : new Arg.Int(n);
        }
        if (t.Text.StartsWith('$') && IsName(t.Text[1..]))
        {
            return new Arg.TaskRef(t.Text[1..]);
        }
        var eq = t.Text.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0 && IsName(t.Text[..eq]) && !t.Text.StartsWith('/'))
        {
            var values = new List<long>();
            foreach (var part in t.Text[(eq + 1)..].Split(','))
            {
                if (!long.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
                {
                    throw new ScenarioException(file, line, $"option {t.Text[..eq]} needs comma-separated integers, got '{part}'");
                }
                values.Add(v);
            }
            return new Arg.Option(t.Text[..eq], values);
        }
        return new Arg.Word(t.Text);
    }

    private static Expectation ParseExpectation(string file, int line, Token t)
    {
        if (t.Quoted)
        {
            return new Expectation.Str(t.Text, t.Raw);
        }
        if (t.Text == "ok")
        {
            return new Expectation.Ok();
        }
        if (long.TryParse(t.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            return new Expectation.Number(n, t.Text);
        }
        if (t.Text.StartsWith('$') && IsName(t.Text[1..]))
        {
            return new Expectation.PidOf(t.Text[1..]);
        }
        if (ScenarioChecker.IsErrnoName(t.Text))
        {
            return new Expectation.Error(t.Text);
        }
        throw new ScenarioException(file, line, $"'{t.Text}' is not an expected result (an integer, an errno name, $NAME, a quoted string or ok)");
    }

    internal static bool IsName(string s) =>
        s.Length > 0 && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-');

    /// <summary>Splits a line into tokens: whitespace-separated words and quoted strings; <c>#</c> at the start or
    /// after whitespace, outside quotes, starts a comment.</summary>
    private static List<Token> Tokenize(string file, int line, string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            if (c == '#')
            {
                break;
            }
            var start = i;
            if (c == '"')
            {
                var sb = new StringBuilder();
                i++;
                var closed = false;
                while (i < text.Length)
                {
                    var d = text[i];
                    if (d == '\\')
                    {
                        if (i + 1 >= text.Length || text[i + 1] is not ('"' or '\\' or 'n' or 't'))
                        {
                            throw new ScenarioException(file, line, "in a quoted string only \\\", \\\\, \\n and \\t are escapes");
                        }
                        sb.Append(text[i + 1] switch { 'n' => '\n', 't' => '\t', var e => e });
                        i += 2;
                        continue;
                    }
                    if (d == '"')
                    {
                        closed = true;
                        i++;
                        break;
                    }
                    sb.Append(d);
                    i++;
                }
                if (!closed)
                {
                    throw new ScenarioException(file, line, "unterminated quoted string");
                }
                if (i < text.Length && !char.IsWhiteSpace(text[i]))
                {
                    throw new ScenarioException(file, line, "a quoted string must be followed by white space");
                }
                tokens.Add(new Token(sb.ToString(), text[start..i], true));
                continue;
            }
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                if (text[i] == '"')
                {
                    throw new ScenarioException(file, line, "a quote inside a word");
                }
                i++;
            }
            var word = text[start..i];
            tokens.Add(new Token(word, word, false));
        }
        return tokens;
    }

    private sealed record Token(string Text, string Raw, bool Quoted)
    {
        public bool IsArrow => !Quoted && (Text == "->" || Text == "=>");
    }
}
