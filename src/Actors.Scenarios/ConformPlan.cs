using Actors.Kernel;

namespace Actors.Scenarios;

/// <summary>Which steps of a scenario only the model can carry out, decided before anything runs (docs/deviations.md,
/// "model-only steps"). <c>actors conform</c> prints <c>model-only</c> for them on the Linux side, does not send them
/// to the helper, and counts them as neither same nor different. The helper adds the cases only a run can tell
/// (another task's next_id slot, a busy IPC index through next_id).
/// Cgroups (docs/scenario-language.md, "Cgroups"): steps on hierarchies other than pids and unified, every cgroup step
/// of a scenario whose config changes cgroup_v1, cgroup_v2 or release_agent, and the model's /actors/ files are
/// model-only; so is a fork or clone after a model-only write of a pids.max.</summary>
public sealed class ConformPlan
{
    /// <summary>The fields of <c>/proc/PID/status</c> the model has.</summary>
    public static readonly IReadOnlySet<string> StatusFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "Tgid", "Pid", "PPid", "NStgid", "NSpid",
    };

    /// <summary>The cgroup hierarchies <c>actors conform</c> runs on Linux (native/README.md, "Cgroups"): the helper maps
    /// them to its scratch cgroups and refuses every other path under <c>/sys/fs/cgroup</c>.</summary>
    public static readonly IReadOnlySet<string> LinuxHierarchies = new HashSet<string>(StringComparer.Ordinal) { "pids", "unified" };

    /// <summary>The cgroup <c>config</c> keys and the reference machine's values (docs/scenario-language.md, "Cgroups"):
    /// a scenario that sets one to anything else has its cgroup steps run by the model only. Lists compare as sets.</summary>
    public static readonly IReadOnlyDictionary<string, string> CgroupConfigDefaults = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["cgroup_v1"] = "pids,cpu,cpuset,memory,freezer",
        ["cgroup_v2"] = "",
        ["release_agent"] = "",
    };

    private const string CgroupRoot = "/sys/fs/cgroup";

    private readonly Dictionary<int, string> _modelOnly;

    private ConformPlan(Dictionary<int, string> modelOnly) => _modelOnly = modelOnly;

    /// <summary>Why the step at <paramref name="step"/>'s line is model-only, or null when Linux runs it.</summary>
    public string? ModelOnlyReason(Step step) => _modelOnly.GetValueOrDefault(step.Line);

    /// <summary>The model-only steps: line and reason, in line order.</summary>
    public IEnumerable<KeyValuePair<int, string>> ModelOnlySteps => _modelOnly.OrderBy(kv => kv.Key);

    /// <summary>Classifies the steps of <paramref name="scenario"/> under <paramref name="settings"/>, the kernel
    /// settings with the scenario's <c>config</c> lines applied.</summary>
    public static ConformPlan For(Scenario scenario, KernelSettings settings)
    {
        var modelOnly = new Dictionary<int, string>();
        var onlyInModel = new HashSet<string>(StringComparer.Ordinal); // tasks that only model-only steps created
        var processSlotWritten = false;
        var sharedBetweenProcesses = false; // a clone with CLONE_VM or CLONE_SIGHAND but not CLONE_THREAD happened
        var levels = new PidLevels(settings.MaxPidNsLevel);
        var cgroupConfig = ChangedCgroupConfig(scenario);
        string? modelOnlyLimit = null; // a pids.max that only the model has: forks may fail on the model alone
        foreach (var step in scenario.Steps)
        {
            var reason = StaticReason(step, settings, ref processSlotWritten) ?? CgroupReason(step, cgroupConfig);
            if (reason is not null && step.Call == "write" && PathText(step) is { } limitPath && IsCgroupPath(limitPath) &&
                limitPath.EndsWith("/pids.max", StringComparison.Ordinal))
            {
                modelOnlyLimit ??= limitPath;
            }
            else if (reason is null && modelOnlyLimit is not null && step.Call is "fork" or "clone")
            {
                reason = $"after a write of {modelOnlyLimit}, which only the model made: the fork may meet a limit Linux does not have";
            }
            if (reason is null && sharedBetweenProcesses && step.Call == "unshare" &&
                (HasFlag(step, "CLONE_VM") || HasFlag(step, "CLONE_SIGHAND")))
            {
                reason = "unshare(CLONE_SIGHAND/CLONE_VM) after a process shared its handlers or memory: the model does not " +
                         "track that sharing (check_unshare_flags)";
            }
            if (step.Call == "clone" && !HasFlag(step, "CLONE_THREAD") && (HasFlag(step, "CLONE_VM") || HasFlag(step, "CLONE_SIGHAND")))
            {
                sharedBetweenProcesses = true;
            }
            if (reason is null && Names(step).FirstOrDefault(onlyInModel.Contains) is { } name)
            {
                reason = $"uses {name}, which only the model created";
            }
            reason ??= levels.Reason(step);
            if (reason is null)
            {
                levels.Apply(step);
                continue;
            }
            modelOnly[step.Line] = reason;
            levels.ModelOnly(step);
            if (step.Bind is not null)
            {
                onlyInModel.Add(step.Bind);
            }
        }
        return new ConformPlan(modelOnly);
    }

    private static string? StaticReason(Step step, KernelSettings settings, ref bool processSlotWritten)
    {
        if (settings.Break != ModelBreak.None)
        {
            return "config break: the model is broken on purpose";
        }
        if (settings.NextIdScope == NextIdScope.Process)
        {
            if (step.Call is "read" or "write" && IsNextIdPath(step))
            {
                processSlotWritten |= step.Call == "write";
                return "next_id_scope=process (v1 of the 2008 series): Linux has no next_id slot per process";
            }
            if (processSlotWritten && step.Call is "fork" or "clone" or "msgget" or "semget" or "shmget")
            {
                return "next_id_scope=process: may consume a per-process next_id slot, which Linux lacks";
            }
        }
        if (step.Call == "read" && step.Args.Count == 2 && IsStatusPath(step) &&
            step.Args[1] is Arg.Word { Value: var field } && !StatusFields.Contains(field))
        {
            return $"/proc/PID/status field {field}: the model has only {string.Join(", ", StatusFields)}";
        }
        return null;
    }

    /// <summary>The cgroup config keys the scenario sets to something other than the reference machine's value, joined
    /// for a reason text; null when none. Read from the scenario's own <c>config</c> lines (the last one of a key
    /// wins), so that this does not depend on how the model's settings carry them.</summary>
    public static string? ChangedCgroupConfig(Scenario scenario)
    {
        var changed = scenario.Config
            .Where(c => CgroupConfigDefaults.ContainsKey(c.Key))
            .GroupBy(c => c.Key, StringComparer.Ordinal)
            .Select(g => g.Last())
            .Where(c => !SameConfigValue(c.Key, c.Value, CgroupConfigDefaults[c.Key]))
            .Select(c => c.Key)
            .OrderBy(k => k, StringComparer.Ordinal)
            .ToList();
        return changed.Count == 0 ? null : string.Join(", ", changed);
    }

    private static bool SameConfigValue(string key, string value, string reference)
    {
        if (key == "release_agent")
        {
            return value == reference;
        }
        static HashSet<string> Set(string list) =>
            list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        return Set(value).SetEquals(Set(reference));
    }

    /// <summary>Why a cgroup step (or a step on the model's own <c>/actors/</c> files) is model-only, or null.</summary>
    private static string? CgroupReason(Step step, string? changedConfig)
    {
        if (step.Call is not ("read" or "write" or "mkdir" or "rmdir") || PathText(step) is not { } path)
        {
            return null;
        }
        if (path.StartsWith("/actors/", StringComparison.Ordinal))
        {
            return $"{path}: a file of the model (Linux has no such file)";
        }
        if (!IsCgroupPath(path))
        {
            return path.Contains(CgroupRoot, StringComparison.Ordinal)
                ? $"{path} reaches cgroupfs other than through {CgroupRoot}/HIER: Linux runs only the scratch cgroups"
                : null;
        }
        if (changedConfig is not null)
        {
            return $"a cgroup step of a scenario whose config changes {changedConfig}: Linux has only the reference machine's hierarchies";
        }
        var rest = path.Length > CgroupRoot.Length ? path[(CgroupRoot.Length + 1)..] : "";
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var hierarchy = slash < 0 ? rest : rest[..slash];
        if (!LinuxHierarchies.Contains(hierarchy))
        {
            return hierarchy.Length == 0
                ? $"{path}: not a cgroup of a hierarchy (Linux runs only {CgroupRoot}/pids and {CgroupRoot}/unified)"
                : $"cgroup hierarchy {hierarchy}: Linux runs only {CgroupRoot}/pids and {CgroupRoot}/unified";
        }
        if (rest.Split('/').Contains("..", StringComparer.Ordinal))
        {
            return $"{path}: '..' would leave the scenario's cgroup on Linux";
        }
        return null;
    }

    private static bool IsCgroupPath(string path) => Kernel.Cgroups.CgroupPath.InCgroupfs(path);

    /// <summary>Every task name the step uses: its task, <c>$NAME</c> in arguments and in its expectation.</summary>
    private static IEnumerable<string> Names(Step step)
    {
        yield return step.Task;
        foreach (var n in ScenarioChecker.ArgNames(step.Args))
        {
            yield return n;
        }
        if (step.Expect is Expectation.PidOf p)
        {
            yield return p.Name;
        }
    }

    /// <summary>The pid namespace levels of the scenario's tasks, as far as the text tells (assuming the calls that
    /// bind names or change namespaces succeed). Linux runs the scenario's root namespace at its level 1, so a pid
    /// namespace at scenario level MAX_PID_NS_LEVEL is one level too deep there (create_pid_namespace(): ENOSPC), where
    /// the model creates it: such steps are model-only, and so are the children of a task whose
    /// pid_ns_for_children only the model has.</summary>
    private sealed class PidLevels(int maxLevel)
    {
        private readonly Dictionary<string, int> _active = new(StringComparer.Ordinal) { ["init"] = 0 };
        private readonly Dictionary<string, int> _forChildren = new(StringComparer.Ordinal) { ["init"] = 0 };
        private readonly HashSet<string> _forChildrenOnlyInModel = new(StringComparer.Ordinal);

        public string? Reason(Step step)
        {
            if (step.Call is "fork" or "clone" && _forChildrenOnlyInModel.Contains(step.Task))
            {
                return $"{step.Task}'s children go into a pid namespace only the model created";
            }
            var level = NewNamespaceLevel(step);
            return level >= maxLevel
                ? $"a pid namespace at level {level}: Linux runs the scenario one level down, where it would be level {level + 1} (ENOSPC)"
                : null;
        }

        public void Apply(Step step)
        {
            var task = step.Task;
            switch (step.Call)
            {
                case "fork" or "clone" when step.Bind is not null && _active.TryGetValue(task, out var active):
                    var child = HasFlag(step, "CLONE_THREAD") ? active : _forChildren[task] + (HasFlag(step, "CLONE_NEWPID") ? 1 : 0);
                    _active[step.Bind] = _forChildren[step.Bind] = child;
                    break;
                case "unshare" when HasFlag(step, "CLONE_NEWPID") && _active.TryGetValue(task, out var active) && _forChildren[task] == active:
                    _forChildren[task] = active + 1;
                    break;
                case "setns" when step.Args is [Arg.TaskRef target, var flags] && flags is Arg.Int { Value: 0 } or Arg.Word { Value: "CLONE_NEWPID" } &&
                                  _active.TryGetValue(target.Name, out var targetLevel):
                    _forChildren[task] = targetLevel;
                    _forChildrenOnlyInModel.Remove(task);
                    break;
            }
        }

        public void ModelOnly(Step step)
        {
            if (step.Call == "unshare" && HasFlag(step, "CLONE_NEWPID"))
            {
                _forChildrenOnlyInModel.Add(step.Task);
            }
        }

        private int? NewNamespaceLevel(Step step) => step.Call switch
        {
            "clone" when HasFlag(step, "CLONE_NEWPID") && _forChildren.TryGetValue(step.Task, out var l) => l + 1,
            "unshare" when HasFlag(step, "CLONE_NEWPID") && _active.TryGetValue(step.Task, out var l) => l + 1,
            _ => null,
        };
    }

    private static bool HasFlag(Step step, string flag) =>
        step.Args.Count > 0 && step.Args[0] is Arg.Word w && w.Value.Split('|').Contains(flag, StringComparer.Ordinal);

    private static string? PathText(Step step) => step.Args.Count > 0 ? step.Args[0] switch
    {
        Arg.Word w => w.Value,
        Arg.Str s => s.Value,
        _ => null,
    } : null;

    private static bool IsNextIdPath(Step step) =>
        PathText(step) is { } p && p.StartsWith("/proc/", StringComparison.Ordinal) && p.EndsWith("/next_id", StringComparison.Ordinal);

    /// <summary>A read of /proc/.../status (the model's five lines; Linux's whole file).</summary>
    public static bool IsStatusPath(Step step) =>
        PathText(step) is { } p && p.StartsWith("/proc/", StringComparison.Ordinal) && p.EndsWith("/status", StringComparison.Ordinal);
}
