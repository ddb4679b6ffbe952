using System.CommandLine;
using Actors.Scenarios;

namespace Actors.Cli;

/// <summary><c>actors run FILE...</c>: run scenario files on the model and print their transcripts.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var files = new Argument<FileInfo[]>("FILE") { Arity = ArgumentArity.OneOrMore, Description = "scenario files" };
        var config = CommonOptions.Config();
        var command = new Command("run", "Run scenario files on the model and print their transcripts") { files, config };
        command.SetAction(parse => Execute(parse.GetValue(files)!, parse.GetValue(config)));
        return command;
    }

    private static int Execute(FileInfo[] files, FileInfo? configFile)
    {
        var config = CommonOptions.Load(configFile);
        if (config is null)
        {
            return CommonOptions.UsageError;
        }
        using var runner = new ModelRunner(config);
        int passed = 0, failed = 0;
        var scenarioError = false;
        foreach (var file in files)
        {
            var run = runner.RunFile(file.ToString());
            if (files.Length > 1)
            {
                Console.WriteLine($"== {file}");
            }
            foreach (var o in run.Outcomes)
            {
                Console.WriteLine(o.Line);
            }
            if (run.Error is not null)
            {
                Console.Error.WriteLine(run.Error);
                scenarioError = true;
            }
            if (run.Violation is not null)
            {
                Console.WriteLine($"{file}: VIOLATION {run.Violation}");
            }
            passed += run.Passed;
            failed += run.Failed;
        }
        Console.WriteLine($"{passed} passed, {failed} failed");
        return scenarioError ? CommonOptions.UsageError : failed > 0 ? 1 : 0;
    }
}
