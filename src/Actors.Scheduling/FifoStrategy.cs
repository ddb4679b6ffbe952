namespace Actors.Scheduling;

/// <summary>Runs the item parked first (lowest sequence number): round-robin over mailboxes, since a mailbox
/// that still has messages after its run is parked again behind the others.</summary>
public sealed class FifoStrategy : ISchedulingStrategy
{
    /// <summary>The shared instance (the strategy has no state).</summary>
    public static FifoStrategy Instance { get; } = new();

    /// <inheritdoc />
    public bool PrepareIteration(int iteration) => true;

    /// <inheritdoc />
    public int Choose(IReadOnlyList<SchedulableItem> enabled, int stepIndex)
    {
        ArgumentNullException.ThrowIfNull(enabled);
        var best = 0;
        var bestSequence = enabled[0].Sequence;
        for (var i = 1; i < enabled.Count; i++)
        {
            if (enabled[i].Sequence < bestSequence)
            {
                best = i;
                bestSequence = enabled[i].Sequence;
            }
        }

        return best;
    }

    /// <inheritdoc />
    public string Describe() => "fifo";
}
