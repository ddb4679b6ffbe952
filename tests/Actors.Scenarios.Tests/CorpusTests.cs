using Xunit;
using Xunit.Abstractions;

namespace Actors.Scenarios.Tests;

/// <summary>Every scenario of the corpus runs on the model with every expectation holding and no invariant violated
/// (the global invariants are checked after every controlled step).</summary>
public sealed class CorpusTests(RunnerFixture fixture, ITestOutputHelper output) : IClassFixture<RunnerFixture>
{
    public static IEnumerable<object[]> Files => RepoPaths.Corpus();

    [Theory]
    [MemberData(nameof(Files))]
    public void Scenario_runs_with_every_expectation_holding(string file)
    {
        var run = fixture.Runner.RunFile(Path.Combine(RepoPaths.Root, file));
        foreach (var o in run.Outcomes)
        {
            output.WriteLine(o.Line);
        }
        Assert.Null(run.Error);
        Assert.Null(run.Violation);
        Assert.Empty(run.Outcomes.Where(o => o.Failed).Select(o => o.Line));
        var scenario = ScenarioParser.ParseFile(Path.Combine(RepoPaths.Root, file));
        Assert.Equal(scenario.Steps.Count(), run.Outcomes.Count);
        Assert.Equal(scenario.Steps.Count(s => s.Expect is not null), run.Passed);
    }

    [Fact]
    public void Corpus_is_not_empty()
    {
        Assert.True(Files.Count() >= 10, $"only {Files.Count()} scenario files found under {RepoPaths.Scenarios}");
    }
}
