namespace Actors.Scheduling;

/// <summary>A schedule prefix that was explored before did not repeat: the model is not deterministic
/// given the choices (time, hash order, threads, shared state between iterations...).</summary>
public sealed class NondeterminismException : Exception
{
    public NondeterminismException()
    {
    }

    public NondeterminismException(string message)
        : base(message)
    {
    }

    public NondeterminismException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for step <paramref name="stepIndex"/>.</summary>
    public NondeterminismException(int stepIndex, string message)
        : base(message) => StepIndex = stepIndex;

    /// <summary>The step (within the schedule) at which the divergence was seen, or -1.</summary>
    public int StepIndex { get; } = -1;
}

/// <summary>A recorded schedule could not be replayed: the recorded step is not enabled.</summary>
public sealed class ReplayDivergenceException : Exception
{
    public ReplayDivergenceException()
    {
    }

    public ReplayDivergenceException(string message)
        : base(message)
    {
    }

    public ReplayDivergenceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for step <paramref name="stepIndex"/>.</summary>
    public ReplayDivergenceException(int stepIndex, string message)
        : base(message) => StepIndex = stepIndex;

    /// <summary>The step (within the schedule) at which the replay diverged, or -1.</summary>
    public int StepIndex { get; } = -1;
}
