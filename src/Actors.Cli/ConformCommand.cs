using System.CommandLine;
using Actors.Scenarios;

namespace Actors.Cli;

/// <summary><c>actors conform FILE...</c>: run each file on the model and on this machine's kernel and compare the
/// transcripts line by line.</summary>
internal static class ConformCommand
{
    /// <summary>Exit status when the environment refuses (no privilege to create namespaces, no helper).</summary>
    public const int EnvironmentRefused = 3;

    public static Command Create()
    {
        var files = new Argument<FileInfo[]>("FILE") { Arity = ArgumentArity.OneOrMore, Description = "scenario files" };
        var transcripts = new Option<bool>("--transcripts")
        {
            Description = "print both transcripts of every file side by side ('!' differs, 'm' model-only)",
        };
        var config = CommonOptions.Config();
        var command = new Command("conform", "Run scenario files on the model and on this machine's Linux kernel and compare the transcripts")
        {
            files, transcripts, config,
        };
        command.SetAction(parse => Execute(parse.GetValue(files)!, parse.GetValue(transcripts), parse.GetValue(config)));
        return command;
    }

    private static int Execute(FileInfo[] files, bool transcripts, FileInfo? configFile)
    {
        var config = CommonOptions.Load(configFile);
        if (config is null)
        {
            return CommonOptions.UsageError;
        }
        using var runner = new ModelRunner(config);
        var options = new LinuxRunnerOptions();
        int passed = 0, failed = 0, modelOnly = 0;
        var scenarioError = false;
        foreach (var file in files)
        {
            ConformResult result;
            try
            {
                result = ConformResult.RunFile(file.ToString(), runner, options);
            }
            catch (ConformEnvironmentException e)
            {
                Console.Out.Flush();
                Console.Error.WriteLine($"actors conform: {e.Message}");
                return EnvironmentRefused;
            }
            if (result.ScenarioError is not null)
            {
                // As `actors run`: FILE:LINE: what is wrong, on stderr; the file counts as failed.
                Console.Error.WriteLine(result.ScenarioError);
                scenarioError = true;
            }
            else
            {
                foreach (var line in result.Report())
                {
                    Console.WriteLine(line);
                }
            }
            if (transcripts)
            {
                foreach (var line in result.Transcripts())
                {
                    Console.WriteLine("  " + line);
                }
            }
            if (result.Linux is { Stderr.Length: > 0 } linux)
            {
                Console.Error.Write(string.Concat(linux.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => $"{file}: helper: {l}\n")));
            }
            modelOnly += result.ModelOnlySteps;
            if (result.Same)
            {
                passed++;
            }
            else
            {
                failed++;
            }
        }
        if (modelOnly > 0)
        {
            Console.Error.WriteLine($"{modelOnly} model-only steps (Linux has nothing equivalent; docs/deviations.md)");
        }
        Console.WriteLine($"{passed} passed, {failed} failed");
        return scenarioError ? CommonOptions.UsageError : failed > 0 ? 1 : 0;
    }
}
