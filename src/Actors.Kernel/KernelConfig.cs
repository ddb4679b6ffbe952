using Akka.Configuration;

namespace Actors.Kernel;

/// <summary>The kernel model's configuration: the embedded <c>reference.conf</c> and the settings read from it.</summary>
public static class KernelConfig
{
    private static readonly Lazy<Config> s_default = new(() => ConfigurationFactory.FromResource<KernelSettings>("Actors.Kernel.reference.conf"));

    /// <summary>The built-in defaults (hocon/reference.conf, embedded).</summary>
    public static Config Default() => s_default.Value;

    /// <summary>Parses <paramref name="hocon"/> and layers it over the defaults.</summary>
    public static Config WithDefaults(string hocon) => ConfigurationFactory.ParseString(hocon).WithFallback(Default());
}

/// <summary>Settings of one kernel, read once from configuration (<c>actors.kernel</c>).</summary>
public sealed record KernelSettings
{
    public int PidMax { get; init; } = 32768;
    public int ChildPidMax { get; init; } = 4 * 1024 * 1024;
    public int ReservedPids { get; init; } = 300;
    public int PossibleCpus { get; init; } = 2;
    public int MaxPidNsLevel { get; init; } = 32;
    public int MaxPidNamespaces { get; init; } = 96365;
    public string Dispatcher { get; init; } = "actors.dispatchers.model";
    public bool CheckInvariants { get; init; }

    /// <summary>Reads <c>actors.kernel</c> from <paramref name="config"/> (which should fall back to <see cref="KernelConfig.Default"/>).</summary>
    public static KernelSettings From(Config config)
    {
        var k = config.GetConfig("actors.kernel") ?? throw new ArgumentException("configuration has no actors.kernel section");
        return new KernelSettings
        {
            PidMax = k.GetInt("pid-max"),
            ChildPidMax = k.GetInt("child-pid-max"),
            ReservedPids = k.GetInt("reserved-pids"),
            PossibleCpus = k.GetInt("possible-cpus"),
            MaxPidNsLevel = k.GetInt("max-pid-ns-level"),
            MaxPidNamespaces = k.GetInt("max-pid-namespaces"),
            Dispatcher = k.GetString("dispatcher"),
            CheckInvariants = k.GetBoolean("check-invariants"),
        };
    }
}
