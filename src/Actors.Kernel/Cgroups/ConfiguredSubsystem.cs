using Akka.Configuration;

namespace Actors.Kernel.Cgroups;

/// <summary>A controller declared in configuration (<c>actors.cgroup.subsystems.NAME</c>): its files and their values,
/// without kernel behaviour of its own. cpu, cpuset, memory, freezer and hugetlb come this way in reference.conf; a user
/// adds one without touching the core.</summary>
public sealed class ConfiguredSubsystem(string name, bool threaded, IReadOnlyList<CgroupFileSpec> files) : CgroupSubsystem
{
    public override string Name => name;

    public override bool Threaded => threaded;

    public IReadOnlyList<CgroupFileSpec> FileSpecs => files;

    public override Css Create(bool onDefault) => new ConfiguredCss([.. files.Where(f => onDefault ? f.OnV2 : f.OnV1)]);

    /// <summary>Reads <c>actors.cgroup.subsystems.NAME</c>.</summary>
    public static ConfiguredSubsystem From(string name, Config c)
    {
        var files = new List<CgroupFileSpec>();
        foreach (var f in c.GetValue("files")?.GetArray() ?? [])
        {
            var fc = f.ToConfig();
            var fileName = fc.GetString("name");
            if (!fileName.StartsWith(name + ".", StringComparison.Ordinal))
            {
                throw new ArgumentException($"actors.cgroup.subsystems.{name}: file '{fileName}' must start with '{name}.'");
            }
            var on = fc.GetString("on", "both");
            if (on is not ("v1" or "v2" or "both"))
            {
                throw new ArgumentException($"actors.cgroup.subsystems.{name}: file '{fileName}': on must be v1, v2 or both, not '{on}'");
            }
            var type = fc.GetString("type", "int");
            var spec = new CgroupFileSpec(
                fileName,
                fc.GetString("default", ""),
                type switch
                {
                    "int" => CgroupFileKind.Int,
                    "string" => CgroupFileKind.String,
                    "choice" => CgroupFileKind.Choice,
                    "read-only" => CgroupFileKind.ReadOnly,
                    _ => throw new ArgumentException($"actors.cgroup.subsystems.{name}: file '{fileName}': type must be int, string, choice or read-only, not '{type}'"),
                },
                fc.GetLong("min", long.MinValue),
                fc.GetLong("max", long.MaxValue),
                fc.GetString("max-word", "") is { Length: > 0 } w ? w : null,
                [.. fc.GetStringList("choices") ?? []],
                OnV1: on != "v2",
                OnV2: on != "v1");
            files.Add(spec);
        }
        return new ConfiguredSubsystem(name, c.GetBoolean("threaded", false), files);
    }
}

/// <summary>What a configured file accepts.</summary>
public enum CgroupFileKind
{
    /// <summary>A kstrtoll number in [Min, Max], or <c>MaxWord</c> when set (written back as that word).</summary>
    Int,
    /// <summary>Any text (kept stripped).</summary>
    String,
    /// <summary>One of <c>Choices</c>.</summary>
    Choice,
    /// <summary>Cannot be written (EINVAL: no write handler).</summary>
    ReadOnly,
}

/// <summary>One configured file: name, default text (without newline), what it accepts, and on which hierarchy kinds it
/// exists.</summary>
public sealed record CgroupFileSpec(
    string Name, string Default, CgroupFileKind Kind, long Min, long Max, string? MaxWord, IReadOnlyList<string> Choices,
    bool OnV1, bool OnV2);

/// <summary>The css of a <see cref="ConfiguredSubsystem"/>: one text value per file.</summary>
public sealed class ConfiguredCss : Css
{
    private readonly Dictionary<string, CgroupFileSpec> _specs;
    private readonly Dictionary<string, string> _values;

    public ConfiguredCss(IReadOnlyList<CgroupFileSpec> files)
    {
        Files = [.. files.Select(f => f.Name)];
        _specs = files.ToDictionary(f => f.Name, StringComparer.Ordinal);
        _values = files.ToDictionary(f => f.Name, f => f.Default, StringComparer.Ordinal);
    }

    public override IReadOnlyList<string> Files { get; }

    public override (string? Text, Errno Errno) Read(string file) =>
        _values.TryGetValue(file, out var v) ? (v + "\n", Errno.None) : (null, Errno.ENOENT);

    public override Errno Write(string file, string text)
    {
        if (!_specs.TryGetValue(file, out var spec))
        {
            return Errno.ENOENT;
        }
        var buf = KernelText.Strip(text);
        switch (spec.Kind)
        {
            case CgroupFileKind.ReadOnly:
                return Errno.EINVAL;
            case CgroupFileKind.Choice when !spec.Choices.Contains(buf):
                return Errno.EINVAL;
            case CgroupFileKind.Int when buf == spec.MaxWord:
                break;
            case CgroupFileKind.Int:
                var errno = KernelText.Kstrtoll(buf, out var n);
                if (errno != Errno.None)
                {
                    return errno;
                }
                if (n < spec.Min || n > spec.Max)
                {
                    return Errno.EINVAL;
                }
                buf = KernelText.Int(n);
                break;
        }
        _values[file] = buf;
        return Errno.None;
    }
}
