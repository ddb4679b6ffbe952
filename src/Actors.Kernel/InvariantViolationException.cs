namespace Actors.Kernel;

/// <summary>Thrown by a state class's <c>CheckInvariants()</c> when one of its stated invariants is broken.</summary>
/// <remarks>
/// A broken invariant is a bug in the model, never an expected kernel failure (those are <see cref="Errno"/>
/// replies). The message names the invariant, as written in the state class's <c>Invariant:</c> comments, and
/// the offending value, so a seeded stress run can be replayed to the exact step.
/// </remarks>
public sealed class InvariantViolationException : Exception
{
    /// <summary>Creates the exception for <paramref name="invariant"/> broken by <paramref name="value"/>.</summary>
    public InvariantViolationException(string invariant, object? value)
        : base($"Invariant violated: {invariant} (value: {value ?? "null"})")
    {
        Invariant = invariant;
        Value = value;
    }

    /// <summary>Creates the exception with a free-form message.</summary>
    public InvariantViolationException(string message)
        : base(message)
    {
        Invariant = message;
    }

    /// <summary>Creates the exception with a free-form message and an inner exception.</summary>
    public InvariantViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Invariant = message;
    }

    /// <summary>The name of the violated invariant.</summary>
    public string Invariant { get; }

    /// <summary>The value that violates it, if any.</summary>
    public object? Value { get; }
}
