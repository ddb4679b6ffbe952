using Actors.Scenarios;
using Xunit;
using Xunit.Abstractions;

namespace Actors.Conform.Tests;

/// <summary>Every scenario of the corpus gives the same transcript on the model and on this machine's kernel (model-only
/// steps aside). Needs root: without the privilege to create namespaces these fail, they do not skip.</summary>
public sealed class CorpusConformTests(ConformFixture fixture, ITestOutputHelper output) : IClassFixture<ConformFixture>
{
    public static IEnumerable<object[]> Files => RepoPaths.Corpus();

    [Theory]
    [MemberData(nameof(Files))]
    public void Scenario_is_the_same_on_the_model_and_on_linux(string file)
    {
        var result = ConformResult.RunFile(Path.Combine(RepoPaths.Root, file), fixture.Runner, new LinuxRunnerOptions());
        output.WriteLine("model | linux ('!' differs, 'm' model-only):");
        foreach (var line in result.Transcripts())
        {
            output.WriteLine(line);
        }
        if (result.Linux is { Stderr.Length: > 0 } linux)
        {
            output.WriteLine("helper stderr: " + linux.Stderr);
        }
        Assert.True(result.Same, string.Join("\n", result.Report()));
        var scenario = ScenarioParser.ParseFile(Path.Combine(RepoPaths.Root, file));
        Assert.Equal(scenario.Steps.Count(), result.Lines.Count);
    }

    [Fact]
    public void Corpus_covers_the_kernel_semantics_rules_listed_in_docs_conformance()
    {
        // docs/conformance.md names a scenario for every rule of kernel-semantics.md sections 2-4; each must exist.
        var doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "conformance.md"));
        var named = System.Text.RegularExpressions.Regex.Matches(doc, @"scenarios/[a-z0-9/_-]+\.scn").Select(m => m.Value).Distinct().ToList();
        Assert.NotEmpty(named);
        Assert.All(named, f => Assert.True(File.Exists(Path.Combine(RepoPaths.Root, f)), $"{f} (named in docs/conformance.md) does not exist"));
    }
}
