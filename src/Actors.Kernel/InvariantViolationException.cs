namespace Actors.Kernel;

/// <summary>Thrown by a state class's <c>CheckInvariants()</c> when an invariant does not hold.</summary>
/// <remarks>An invariant violation is a model bug, never an expected kernel failure (those are <see cref="Errno"/> replies).
/// The message names the invariant and the offending values.</remarks>
public sealed class InvariantViolationException : Exception
{
    public InvariantViolationException(string message) : base(message) { }
    public InvariantViolationException() { }
    public InvariantViolationException(string message, Exception inner) : base(message, inner) { }
}
