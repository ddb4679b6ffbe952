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

/// <summary>What one controller step ran.</summary>
/// <param name="Index">Step index within the <see cref="SchedulingController.Run"/> call, from 0.</param>
/// <param name="Choice">Index into the enabled list that the strategy chose.</param>
/// <param name="EnabledCount">How many items were enabled at this step.</param>
/// <param name="Actor">Label of the actor whose mailbox ran.</param>
/// <param name="Message">The head message at the time of the choice (see <see cref="SchedulableItem.Message"/>).</param>
public sealed record StepRecord(int Index, int Choice, int EnabledCount, string Actor, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Index}: [{Choice}/{EnabledCount}] {Actor}: {Message}";
}

/// <summary>How a <see cref="SchedulingController.Run"/> call ended.</summary>
/// <param name="Steps">Steps run by this call.</param>
/// <param name="Quiescent">Nothing was parked when the call returned.</param>
/// <param name="StoppedByCallback">The <c>afterStep</c> callback returned false.</param>
/// <param name="HitStepBound">The call stopped because <c>maxSteps</c> steps ran while work was still parked.</param>
public sealed record RunOutcome(int Steps, bool Quiescent, bool StoppedByCallback, bool HitStepBound);
