namespace Actors.Scenarios.Tests;

/// <summary>Two explorations that must agree (checkpoints against fresh kernels, two workers against one).</summary>
internal static class SameResult
{
    /// <summary>The same schedules, violation count, cut schedules, exhaustion, and the same violations kept (iteration,
    /// what, transcript and steps).</summary>
    public static void Assert(ExploreResult expected, ExploreResult actual)
    {
        Xunit.Assert.Equal(expected.Schedules, actual.Schedules);
        Xunit.Assert.Equal(expected.ViolationCount, actual.ViolationCount);
        Xunit.Assert.Equal(expected.CutAtStepBound, actual.CutAtStepBound);
        Xunit.Assert.Equal(expected.Exhausted, actual.Exhausted);
        Xunit.Assert.Equal(expected.Violations.Count, actual.Violations.Count);
        for (var i = 0; i < expected.Violations.Count; i++)
        {
            Xunit.Assert.Equal(expected.Violations[i].Iteration, actual.Violations[i].Iteration);
            Xunit.Assert.Equal(expected.Violations[i].What, actual.Violations[i].What);
            Xunit.Assert.Equal(expected.Violations[i].Transcript, actual.Violations[i].Transcript);
            Xunit.Assert.Equal(expected.Violations[i].Steps, actual.Violations[i].Steps);
        }
    }
}
