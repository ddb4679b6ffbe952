namespace Actors.Scenarios;

/// <summary>A parsed scenario file: configuration, then steps and parallel blocks in written order.</summary>
public sealed record Scenario(string File, IReadOnlyList<ConfigEntry> Config, IReadOnlyList<ScenarioItem> Items)
{
    /// <summary>Every step, in written order (steps of blocks included).</summary>
    public IEnumerable<Step> Steps => Items.SelectMany(i => i is ParallelBlock b ? b.Steps : [(Step)i]);
}

/// <summary>A <c>config KEY=VALUE</c> entry.</summary>
public sealed record ConfigEntry(int Line, string Key, string Value);

/// <summary>A step or a parallel block.</summary>
public abstract record ScenarioItem(int Line);

/// <summary><c>parallel</c> ... <c>end</c>: steps of different tasks may interleave.</summary>
public sealed record ParallelBlock(int Line, IReadOnlyList<Step> Steps) : ScenarioItem(Line);

/// <summary><c>TASK CALL ARG... [-&gt; NEWTASK] [=&gt; EXPECT]</c>; <c>Text</c> is the step as the transcript prints it,
/// <c>TASK CALL ARGS [-&gt; NEWTASK]</c>.</summary>
public sealed record Step(int Line, string Task, string Call, IReadOnlyList<Arg> Args, string? Bind, Expectation? Expect, string Text)
    : ScenarioItem(Line);

/// <summary>An argument as written.</summary>
public abstract record Arg
{
    /// <summary>A decimal integer.</summary>
    public sealed record Int(long Value) : Arg;

    /// <summary><c>$NAME</c>: the pid of task NAME as the calling task sees it.</summary>
    public sealed record TaskRef(string Name) : Arg;

    /// <summary>A quoted string, unescaped.</summary>
    public sealed record Str(string Value) : Arg;

    /// <summary>A bare word: a flag set (<c>A|B|0600</c>), a name (<c>SIGKILL</c>, <c>WNOHANG</c>) or a path;
    /// may contain <c>$NAME</c> references (resolved when the step runs).</summary>
    public sealed record Word(string Value) : Arg;

    /// <summary><c>key=v1,v2,...</c>.</summary>
    public sealed record Option(string Key, IReadOnlyList<long> Values) : Arg;
}

/// <summary>What a step must return.</summary>
public abstract record Expectation(string Text)
{
    public sealed record Number(long Value, string Source) : Expectation(Source);
    public sealed record Error(string Errno) : Expectation(Errno);
    public sealed record PidOf(string Name) : Expectation("$" + Name);
    public sealed record Str(string Value, string Source) : Expectation(Source);
    public sealed record Ok() : Expectation("ok");
}

/// <summary>A scenario error: <c>FILE:LINE: what is wrong</c>.</summary>
public sealed class ScenarioException(string file, int line, string message)
    : Exception($"{file}:{line}: {message}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public string What { get; } = message;
}
