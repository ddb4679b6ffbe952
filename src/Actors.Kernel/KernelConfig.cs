using Actors.Kernel.Ipc;
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

    /// <summary>Where next_id lives: per thread (the 2008 series v2, <c>/proc/PID/task/TID/next_id</c>) or per process
    /// (v1, <c>/proc/self/next_id</c>, shared by the threads of a process).</summary>
    public NextIdScope NextIdScope { get; init; } = NextIdScope.Thread;

    /// <summary>A deliberate bug, for testing the explorer (never set it otherwise).</summary>
    public ModelBreak Break { get; init; }

    /// <summary>Limits of every IPC namespace (msgmni, semmni, ...).</summary>
    public IpcLimits IpcLimits { get; init; } = IpcLimits.Default;

    /// <summary>Cgroup hierarchies and controllers (<c>actors.cgroup</c>).</summary>
    public CgroupSettings Cgroup { get; init; } = CgroupSettings.Off;

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
            NextIdScope = k.GetString("next-id-scope") switch
            {
                "thread" => NextIdScope.Thread,
                "process" => NextIdScope.Process,
                var other => throw new ArgumentException($"actors.kernel.next-id-scope must be thread or process, not '{other}'"),
            },
            Break = k.GetString("testing.break") switch
            {
                "none" => ModelBreak.None,
                "free-pid-at-exit" => ModelBreak.FreePidAtExit,
                "cgroup-fork-unlocked" => ModelBreak.CgroupForkUnlocked,
                var other => throw new ArgumentException($"actors.kernel.testing.break must be none, free-pid-at-exit or cgroup-fork-unlocked, not '{other}'"),
            },
            IpcLimits = IpcLimits.Default with
            {
                Msgmni = k.GetInt("ipc.msgmni"),
                Semmni = k.GetInt("ipc.semmni"),
                Shmmni = k.GetInt("ipc.shmmni"),
            },
            Cgroup = CgroupSettings.From(config),
        };
    }
}

/// <summary>Where a task's next_id slot lives.</summary>
public enum NextIdScope
{
    /// <summary>One slot per thread (the 2008 series from v2 on).</summary>
    Thread,
    /// <summary>One slot per process, shared by its threads (the series' first version).</summary>
    Process,
}

/// <summary>Deliberate bugs the explorer's own tests make it find.</summary>
public enum ModelBreak
{
    None,
    /// <summary>A task's pid numbers are freed when it exits instead of when it is reaped (a zombie then holds numbers
    /// that another fork can take).</summary>
    FreePidAtExit,
    /// <summary>Forks do not take cgroup_threadgroup_rwsem: a fork racing a migration of its parent is charged where the
    /// parent was and joins where the parent is now.</summary>
    CgroupForkUnlocked,
}

/// <summary>The cgroup part of the configuration (<c>actors.cgroup</c>).</summary>
public sealed record CgroupSettings(
    bool Enabled, IReadOnlyList<string> V1, IReadOnlyList<string> V2, string ReleaseAgent, IReadOnlyList<Cgroups.CgroupSubsystem> Subsystems)
{
    /// <summary>No cgroups at all: forks and exits never involve the cgroup core.</summary>
    public static readonly CgroupSettings Off = new(false, [], [], "", []);

    /// <summary>Reads <c>actors.cgroup</c>: <c>enabled</c>, <c>v1</c>, <c>v2</c>, <c>release-agent</c> and the
    /// configured controllers under <c>subsystems</c> (pids is built in).</summary>
    public static CgroupSettings From(Config config)
    {
        var c = config.GetConfig("actors.cgroup");
        if (c is null || !c.GetBoolean("enabled", false))
        {
            return Off;
        }
        var subsystems = new List<Cgroups.CgroupSubsystem> { Cgroups.PidsSubsystem.Instance };
        if (c.GetConfig("subsystems") is { } subs)
        {
            foreach (var name in subs.Root.GetObject().Items.Keys.Order(StringComparer.Ordinal))
            {
                if (name == "pids")
                {
                    throw new ArgumentException("actors.cgroup.subsystems: pids is built in");
                }
                subsystems.Add(Cgroups.ConfiguredSubsystem.From(name, subs.GetConfig(name)));
            }
        }
        return new CgroupSettings(true, [.. c.GetStringList("v1")], [.. c.GetStringList("v2")], c.GetString("release-agent", ""), subsystems);
    }

    /// <summary>A list setting as a scenario's <c>config</c> writes it: names separated by commas.</summary>
    public static IReadOnlyList<string> ParseList(string value) =>
        [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
