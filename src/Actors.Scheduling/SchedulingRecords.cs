namespace Actors.Scheduling;

/// <summary>One parked piece of work: a mailbox run waiting for the controller to pick it.</summary>
/// <param name="Sequence">When the work was parked: a per-controller counter, so lower means earlier (FIFO).</param>
/// <param name="Actor">Stable label of the actor: its path elements below <c>/user</c> joined with '/',
/// e.g. <c>host/kernel/ns0/pidmap</c>; actors outside <c>/user</c> keep a leading '/'.</param>
/// <param name="Message">Short type name of the head user message of the mailbox (nested types as
/// <c>Outer.Inner</c>), or <see cref="SchedulableItem.SystemOnly"/> when only system messages are pending.</param>
/// <remarks>The message name is read by peeking Akka's default and deque (stash) queues. For other queue types
/// (bounded, priority, custom) it comes from a shadow queue filled by <c>ControlledDispatcher.Dispatch</c>, which
/// does not see messages put back without <c>Dispatch</c> (unstash) and then shows a stale name until they
/// drained; names stay deterministic either way, so replay is unaffected.</remarks>
public sealed record SchedulableItem(long Sequence, string Actor, string Message)
{
    /// <summary>The <see cref="Message"/> of a mailbox run that has only system messages to process.</summary>
    public const string SystemOnly = "(system)";

    /// <summary>The <see cref="Actor"/> label of work submitted through <c>MessageDispatcher.Schedule</c>.</summary>
    public const string DispatcherTask = "(task)";

    /// <inheritdoc />
    public override string ToString() => $"#{Sequence} {Actor}: {Message}";
}

/// <summary>What one controller step ran, and its footprint: which mailboxes it sent to and whose message it processed.</summary>
/// <param name="Index">Step index within the <see cref="SchedulingController.Run"/> call, from 0.</param>
/// <param name="Choice">Index into the enabled list that the strategy chose.</param>
/// <param name="EnabledCount">How many items were enabled at this step.</param>
/// <param name="Actor">Label of the actor whose mailbox ran.</param>
/// <param name="Message">The head message at the time of the choice (see <see cref="SchedulableItem.Message"/>).</param>
/// <remarks>Equality compares the footprint lists by content, so two runs of one schedule give equal records.</remarks>
public sealed record StepRecord(int Index, int Choice, int EnabledCount, string Actor, string Message)
{
    /// <summary><see cref="ReceivedFrom"/> of a step that processed no user message (system messages only).</summary>
    public const int NoMessage = -1;

    /// <summary><see cref="ReceivedFrom"/> of a step whose user message was sent before this <c>Run</c> call, or by
    /// code outside any step (e.g. the test thread).</summary>
    public const int FromOutside = -2;

    /// <summary><see cref="ReceivedFrom"/> when the controller lost track of the mailbox's senders (messages put
    /// into the queue without <c>Dispatch</c>, e.g. unstashed).</summary>
    public const int Unknown = -3;

    /// <summary>Labels of the controlled mailboxes this step sent a user or system message to, distinct, in order of
    /// the first send: including a child it created (its <c>Create</c>), a stop, a watch, a failure report, and its
    /// own mailbox when it told itself.</summary>
    public IReadOnlyList<string> SentTo { get; init; } = [];

    /// <summary>The labels of <see cref="SentTo"/> that got a user message.</summary>
    public IReadOnlyList<string> UserSentTo { get; init; } = [];

    /// <summary>The labels of <see cref="SentTo"/> that got a system message (creation, stop, watch, supervision):
    /// such a message is processed by the receiver's next run whatever its user messages.</summary>
    public IReadOnlyList<string> SystemSentTo { get; init; } = [];

    /// <summary>The <see cref="Index"/> (same <c>Run</c> call) of the step that sent the user message this step
    /// processed, or <see cref="NoMessage"/>, <see cref="FromOutside"/>, <see cref="Unknown"/>.</summary>
    public int ReceivedFrom { get; init; } = NoMessage;

    /// <inheritdoc />
    public bool Equals(StepRecord? other) =>
        other is not null &&
        Index == other.Index && Choice == other.Choice && EnabledCount == other.EnabledCount &&
        string.Equals(Actor, other.Actor, StringComparison.Ordinal) &&
        string.Equals(Message, other.Message, StringComparison.Ordinal) &&
        ReceivedFrom == other.ReceivedFrom &&
        SentTo.SequenceEqual(other.SentTo, StringComparer.Ordinal) &&
        UserSentTo.SequenceEqual(other.UserSentTo, StringComparer.Ordinal) &&
        SystemSentTo.SequenceEqual(other.SystemSentTo, StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() =>
        HashCode.Combine(Index, Choice, EnabledCount, StringComparer.Ordinal.GetHashCode(Actor), StringComparer.Ordinal.GetHashCode(Message), ReceivedFrom);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Index}: [{Choice}/{EnabledCount}] {Actor}: {Message}" +
        (SentTo.Count == 0 ? string.Empty : $" -> {string.Join(", ", SentTo)}");
}

/// <summary>How a <see cref="SchedulingController.Run"/> call ended.</summary>
/// <param name="Steps">Steps run by this call.</param>
/// <param name="Quiescent">Nothing was parked when the call returned.</param>
/// <param name="StoppedByCallback">The <c>afterStep</c> callback returned false.</param>
/// <param name="HitStepBound">The call stopped because <c>maxSteps</c> steps ran while work was still parked.</param>
public sealed record RunOutcome(int Steps, bool Quiescent, bool StoppedByCallback, bool HitStepBound);
