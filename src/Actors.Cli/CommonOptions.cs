using System.CommandLine;
using Actors.Kernel;
using Akka.Configuration;

namespace Actors.Cli;

/// <summary>Options every command takes, and the configuration they build.</summary>
internal static class CommonOptions
{
    /// <summary>Exit status for usage and scenario errors.</summary>
    public const int UsageError = 2;

    public static Option<FileInfo?> Config() => new("--config")
    {
        Description = "HOCON file layered over the built-in defaults (hocon/run.conf, then reference.conf)",
    };

    /// <summary><c>--config FILE</c> over hocon/run.conf (next to the binary) over the embedded reference.conf.
    /// Returns null and prints the error when the file cannot be read or parsed.</summary>
    public static Config? Load(FileInfo? file)
    {
        var config = KernelConfig.Default();
        var runConf = Path.Combine(AppContext.BaseDirectory, "hocon", "run.conf");
        if (File.Exists(runConf))
        {
            config = ConfigurationFactory.ParseString(File.ReadAllText(runConf)).WithFallback(config);
        }
        if (file is null)
        {
            return config;
        }
        try
        {
            return ConfigurationFactory.ParseString(File.ReadAllText(file.FullName)).WithFallback(config);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ConfigurationException or FormatException)
        {
            Console.Error.WriteLine($"{file.FullName}:0: cannot use configuration: {e.Message}");
            return null;
        }
    }
}
