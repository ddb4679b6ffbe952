namespace Actors.Scheduling;

/// <summary>Decides which parked item runs next; one instance drives a sequence of schedules (iterations).</summary>
/// <remarks>
/// Strategies are deterministic functions of their constructor arguments, the iteration number and the
/// enabled lists they are shown, so a (strategy, seed, iteration) triple names one schedule on any machine.
/// Not thread-safe: a strategy belongs to the thread that runs <see cref="SchedulingController.Run"/>.
/// </remarks>
public interface ISchedulingStrategy
{
    /// <summary>Called at the start of each schedule (iteration, from 0).</summary>
    /// <returns>False when the strategy has nothing more to explore (e.g. DFS exhausted).</returns>
    bool PrepareIteration(int iteration);

    /// <summary>Chooses the index into <paramref name="enabled"/> (never empty) of the item to run.</summary>
    /// <param name="enabled">Enabled items ordered by actor label (ordinal), then sequence, so that an index
    /// means the same thing in any process. The list is reused by the controller: do not keep it.</param>
    /// <param name="stepIndex">Step index within the current schedule, from 0.</param>
    int Choose(IReadOnlyList<SchedulableItem> enabled, int stepIndex);

    /// <summary>A short description with every parameter needed to rebuild the strategy, e.g. <c>random(seed=42)</c>.</summary>
    string Describe();
}

/// <summary>Implemented by a strategy that wants to see each step it chose after the step ran, with its footprint
/// (<see cref="StepRecord.SentTo"/>, <see cref="StepRecord.ReceivedFrom"/>), e.g. for partial-order reduction.</summary>
/// <remarks><see cref="SchedulingController.Run"/> calls <see cref="OnStep"/> after every step it runs with such a
/// strategy, before the <c>afterStep</c> callback; a strategy that wraps another should forward the call.</remarks>
public interface IStepObserver
{
    /// <summary>The step just run (its <see cref="StepRecord.Index"/> is 0 at the start of each <c>Run</c> call).</summary>
    void OnStep(StepRecord step);

    /// <summary>Whether the steps shown need the mailboxes they sent to. A wrapper whose inner strategy observes nothing
    /// says false, and then the controller does not collect them for that run: its records, also those given to the
    /// <c>afterStep</c> callback, have empty <see cref="StepRecord.SentTo"/>, <see cref="StepRecord.UserSentTo"/> and
    /// <see cref="StepRecord.SystemSentTo"/> lists.</summary>
    bool WantsFootprints => true;
}

/// <summary>Implemented by a strategy that may say its iterations are independent: iteration <c>i</c>'s choices depend
/// only on its constructor arguments, <c>i</c> and the enabled lists of that iteration, never on earlier iterations.
/// Such iterations can run in any order and on several threads (one strategy instance per thread) and still name
/// the same schedules.</summary>
public interface IIndependentIterations
{
    /// <summary>True when every iteration is independent of the others.</summary>
    bool IndependentIterations { get; }
}
