namespace Actors.Scheduling;

/// <summary>Replays a recorded schedule by labels: at each step it runs the enabled item whose actor label and
/// message equal the recorded ones (the first such item in enabled order).</summary>
/// <remarks>
/// Label-based replay survives changes in sequence numbers and in the enabled order, e.g. between processes
/// (Coyote replays by operation ids the same way). A recorded step that is not enabled throws a
/// <see cref="ReplayDivergenceException"/>; so does running past the end of the trace, unless an
/// <c>afterEnd</c> strategy continues the schedule. The trace is one schedule: only iteration 0 is prepared.
/// </remarks>
public sealed class ReplayStrategy : ISchedulingStrategy
{
    private readonly IReadOnlyList<(string Actor, string Message)> _steps;
    private readonly ISchedulingStrategy? _afterEnd;

    /// <summary>Creates the strategy for <paramref name="steps"/>; <paramref name="afterEnd"/> (optional) chooses
    /// the steps after the end of the trace.</summary>
    public ReplayStrategy(IReadOnlyList<(string Actor, string Message)> steps, ISchedulingStrategy? afterEnd = null)
    {
        ArgumentNullException.ThrowIfNull(steps);
        _steps = steps;
        _afterEnd = afterEnd;
    }

    /// <summary>The trace being replayed.</summary>
    public IReadOnlyList<(string Actor, string Message)> Steps => _steps;

    /// <summary>A strategy replaying <paramref name="records"/> (e.g. collected in <c>afterStep</c>).</summary>
    public static ReplayStrategy FromRecords(IEnumerable<StepRecord> records, ISchedulingStrategy? afterEnd = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        var steps = new List<(string, string)>();
        foreach (var record in records)
        {
            steps.Add((record.Actor, record.Message));
        }

        return new ReplayStrategy(steps, afterEnd);
    }

    /// <inheritdoc />
    public bool PrepareIteration(int iteration) => iteration == 0 && (_afterEnd?.PrepareIteration(0) ?? true);

    /// <inheritdoc />
    public int Choose(IReadOnlyList<SchedulableItem> enabled, int stepIndex)
    {
        ArgumentNullException.ThrowIfNull(enabled);
        if (stepIndex >= _steps.Count)
        {
            return _afterEnd?.Choose(enabled, stepIndex) ?? throw new ReplayDivergenceException(
                stepIndex,
                $"Replay ran past the end of the recorded trace ({_steps.Count} steps): step {stepIndex} " +
                $"has {enabled.Count} item(s) enabled: {DfsStrategy.Describe(enabled)}");
        }

        var (actor, message) = _steps[stepIndex];
        for (var i = 0; i < enabled.Count; i++)
        {
            if (string.Equals(enabled[i].Actor, actor, StringComparison.Ordinal) &&
                string.Equals(enabled[i].Message, message, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new ReplayDivergenceException(
            stepIndex,
            $"Replay diverged at step {stepIndex}: the recorded step '{actor}: {message}' is not enabled. " +
            $"Enabled: {DfsStrategy.Describe(enabled)}");
    }

    /// <inheritdoc />
    public string Describe() => $"replay({_steps.Count} steps)";
}

/// <summary>Replays a schedule from its choice indices (e.g. <see cref="DfsStrategy.CurrentChoices"/> or
/// <see cref="StepRecord.Choice"/>); indices mean the same in any process because the enabled order is by label.</summary>
/// <remarks>Checks each index against the number of enabled items, and the recorded enabled count when given.</remarks>
public sealed class ChoiceReplayStrategy : ISchedulingStrategy
{
    private readonly IReadOnlyList<int> _choices;
    private readonly IReadOnlyList<int>? _counts;

    /// <summary>Creates the strategy; <paramref name="enabledCounts"/> (optional) are checked at each step.</summary>
    public ChoiceReplayStrategy(IReadOnlyList<int> choices, IReadOnlyList<int>? enabledCounts = null)
    {
        ArgumentNullException.ThrowIfNull(choices);
        _choices = choices;
        _counts = enabledCounts;
    }

    /// <summary>A strategy replaying the choices (and checking the enabled counts) of <paramref name="records"/>.</summary>
    public static ChoiceReplayStrategy FromRecords(IEnumerable<StepRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var choices = new List<int>();
        var counts = new List<int>();
        foreach (var record in records)
        {
            choices.Add(record.Choice);
            counts.Add(record.EnabledCount);
        }

        return new ChoiceReplayStrategy(choices, counts);
    }

    /// <inheritdoc />
    public bool PrepareIteration(int iteration) => iteration == 0;

    /// <inheritdoc />
    public int Choose(IReadOnlyList<SchedulableItem> enabled, int stepIndex)
    {
        ArgumentNullException.ThrowIfNull(enabled);
        if (stepIndex >= _choices.Count)
        {
            throw new ReplayDivergenceException(
                stepIndex,
                $"Replay ran past the end of the recorded choices ({_choices.Count}) at step {stepIndex}: {DfsStrategy.Describe(enabled)}");
        }

        var choice = _choices[stepIndex];
        if (choice >= enabled.Count || (_counts is not null && stepIndex < _counts.Count && _counts[stepIndex] != enabled.Count))
        {
            throw new ReplayDivergenceException(
                stepIndex,
                $"Replay diverged at step {stepIndex}: recorded choice {choice}" +
                (_counts is not null && stepIndex < _counts.Count ? $" of {_counts[stepIndex]}" : string.Empty) +
                $", but {enabled.Count} item(s) are enabled: {DfsStrategy.Describe(enabled)}");
        }

        return choice;
    }

    /// <inheritdoc />
    public string Describe() => $"choices({string.Join(',', _choices)})";
}
