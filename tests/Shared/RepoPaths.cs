namespace Actors.Tests;

/// <summary>Locates the repository (the directory holding Actors.sln) from the test binaries.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Scenarios => Path.Combine(Root, "scenarios");

    /// <summary>Every scenario file of the corpus, relative to the repository root, sorted.</summary>
    public static IEnumerable<object[]> Corpus() =>
        Directory.EnumerateFiles(Scenarios, "*.scn", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f))
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { f });

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Actors.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Actors.sln not found above " + AppContext.BaseDirectory);
    }
}
