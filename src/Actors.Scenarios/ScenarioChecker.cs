using Actors.Kernel;

namespace Actors.Scenarios;

/// <summary>Static checks of a parsed scenario: calls and their arguments, task names bound before use, no step
/// after a task's exit. Any failure is a <see cref="ScenarioException"/>; the file is then not run.</summary>
public static class ScenarioChecker
{
    /// <summary>Keys of <c>config KEY=VALUE</c> lines (documented in hocon/reference.conf under the key they set).</summary>
    public static readonly IReadOnlyDictionary<string, ConfigKey> ConfigKeys = new Dictionary<string, ConfigKey>
    {
        ["pid_max"] = new("actors.kernel.pid-max", ModelOnly: false, ConfigKey.Integer),
        ["msgmni"] = new("actors.kernel.ipc.msgmni", ModelOnly: false, ConfigKey.Integer),
        ["next_id_scope"] = new("actors.kernel.next-id-scope", ModelOnly: true, v => v is "thread" or "process" ? null : "must be thread or process"),
        ["break"] = new("actors.kernel.testing.break", ModelOnly: true,
            v => v is "none" or "free-pid-at-exit" or "cgroup-fork-unlocked" ? null : "must be none, free-pid-at-exit or cgroup-fork-unlocked"),
        ["cgroup_v1"] = new("actors.cgroup.v1", ModelOnly: true, ConfigKey.NameList),
        ["cgroup_v2"] = new("actors.cgroup.v2", ModelOnly: true, ConfigKey.NameList),
        ["release_agent"] = new("actors.cgroup.release-agent", ModelOnly: true, v => v.StartsWith('/') ? null : "must be an absolute path"),
    };

    /// <summary>The calls the model knows and their argument shapes (for messages).</summary>
    public static readonly IReadOnlyDictionary<string, string> Calls = new Dictionary<string, string>
    {
        ["fork"] = "fork",
        ["clone"] = "clone FLAGS [set_tid=N,...]",
        ["unshare"] = "unshare FLAGS",
        ["setns"] = "setns $NAME FLAGS",
        ["exit"] = "exit CODE",
        ["exit_group"] = "exit_group CODE",
        ["wait"] = "wait [PID [WNOHANG]]",
        ["kill"] = "kill PID SIG",
        ["getpid"] = "getpid",
        ["getppid"] = "getppid",
        ["gettid"] = "gettid",
        ["prctl"] = "prctl PR_SET_CHILD_SUBREAPER 0|1",
        ["read"] = "read PATH [FIELD]",
        ["write"] = "write PATH VALUE",
        ["msgget"] = "msgget KEY FLAGS",
        ["semget"] = "semget KEY NSEMS FLAGS",
        ["shmget"] = "shmget KEY SIZE FLAGS",
        ["msgctl"] = "msgctl ID IPC_RMID",
        ["semctl"] = "semctl ID IPC_RMID",
        ["shmctl"] = "shmctl ID IPC_RMID",
        ["mkdir"] = "mkdir /sys/fs/cgroup/HIER/PATH",
        ["rmdir"] = "rmdir /sys/fs/cgroup/HIER/PATH",
    };

    public static bool IsErrnoName(string s) =>
        s.Length > 1 && s[0] == 'E' && Enum.TryParse<Errno>(s, ignoreCase: false, out var e) && e != Errno.None;

    public static void Check(Scenario s)
    {
        var bound = new HashSet<string> { "init" };
        var exited = new Dictionary<string, int>();
        foreach (var item in s.Items)
        {
            if (item is Step step)
            {
                CheckStep(s.File, step, bound, exited, blockBound: null);
                continue;
            }
            var block = (ParallelBlock)item;
            var blockBound = new Dictionary<string, string>();
            foreach (var st in block.Steps)
            {
                CheckStep(s.File, st, bound, exited, blockBound);
            }
        }
    }

    private static void CheckStep(string file, Step step, HashSet<string> bound, Dictionary<string, int> exited,
        Dictionary<string, string>? blockBound)
    {
        void Fail(string what) => throw new ScenarioException(file, step.Line, what);

        void Known(string name, bool asTask)
        {
            if (!bound.Contains(name))
            {
                Fail($"unknown task '{name}' (bind it first with '-> {name}')");
            }
            if (blockBound is not null && blockBound.TryGetValue(name, out var binder) && binder != step.Task)
            {
                Fail($"'{name}' is bound by {binder}'s step in this parallel block, which may not have run yet");
            }
            if (asTask && exited.TryGetValue(name, out var at))
            {
                Fail($"task '{name}' made exit at line {at}; it makes no more calls");
            }
        }

        Known(step.Task, asTask: true);
        if (!Calls.TryGetValue(step.Call, out var shape))
        {
            Fail($"unknown call '{step.Call}' (known: {string.Join(", ", Calls.Keys)})");
        }
        foreach (var name in ArgNames(step.Args))
        {
            Known(name, asTask: false);
        }
        if (step.Expect is Expectation.PidOf p && p.Name != step.Bind)
        {
            Known(p.Name, asTask: false);
        }
        try
        {
            CheckArgs(step);
        }
        catch (FormatException e)
        {
            Fail($"{step.Call}: {e.Message} (usage: {shape})");
        }
        if (step.Bind is not null)
        {
            if (step.Call is not ("fork" or "clone"))
            {
                Fail("-> binds a new task only on fork or clone");
            }
            if (!bound.Add(step.Bind))
            {
                Fail($"task name '{step.Bind}' is already bound");
            }
            blockBound?.Add(step.Bind, step.Task);
        }
        if (step.Call is "exit" or "exit_group")
        {
            exited[step.Task] = step.Line;
        }
    }

    /// <summary>Task names the arguments refer to: <c>$NAME</c> arguments and <c>$NAME</c> inside words.</summary>
    internal static IEnumerable<string> ArgNames(IReadOnlyList<Arg> args)
    {
        foreach (var a in args)
        {
            switch (a)
            {
                case Arg.TaskRef r:
                    yield return r.Name;
                    break;
                case Arg.Word w:
                    foreach (var n in StepBinder.NamesIn(w.Value))
                    {
                        yield return n;
                    }
                    break;
            }
        }
    }

    private static void CheckArgs(Step step)
    {
        var a = step.Args;
        void Count(int min, int max)
        {
            if (a.Count < min || a.Count > max)
            {
                throw new FormatException(min == max ? $"takes {min} argument(s), got {a.Count}" : $"takes {min} to {max} arguments, got {a.Count}");
            }
        }
        switch (step.Call)
        {
            case "fork" or "getpid" or "getppid" or "gettid":
                Count(0, 0);
                break;
            case "clone":
                Count(1, 2);
                StepBinder.CloneFlagsOf(a[0]);
                if (a.Count == 2 && a[1] is not Arg.Option { Key: "set_tid" })
                {
                    throw new FormatException($"unexpected '{a[1]}'; the only option is set_tid=N,...");
                }
                break;
            case "unshare":
                Count(1, 1);
                StepBinder.CloneFlagsOf(a[0]);
                break;
            case "setns":
                Count(2, 2);
                if (a[0] is not Arg.TaskRef)
                {
                    throw new FormatException("the first argument must be $NAME");
                }
                StepBinder.CloneFlagsOf(a[1]);
                break;
            case "exit" or "exit_group":
                Count(1, 1);
                StepBinder.IntOf(a[0], "CODE");
                break;
            case "wait":
                Count(0, 2);
                if (a.Count >= 1 && a[0] is not (Arg.Int or Arg.TaskRef))
                {
                    throw new FormatException("PID must be an integer or $NAME");
                }
                if (a.Count == 2 && a[1] is not Arg.Word { Value: "WNOHANG" })
                {
                    throw new FormatException("the only option is WNOHANG");
                }
                break;
            case "kill":
                Count(2, 2);
                if (a[0] is not (Arg.Int or Arg.TaskRef))
                {
                    throw new FormatException("PID must be an integer or $NAME");
                }
                StepBinder.SignalOf(a[1]);
                break;
            case "prctl":
                Count(2, 2);
                if (a[0] is not Arg.Word { Value: "PR_SET_CHILD_SUBREAPER" })
                {
                    throw new FormatException("the only option is PR_SET_CHILD_SUBREAPER");
                }
                StepBinder.IntOf(a[1], "value");
                break;
            case "read":
                Count(1, 2);
                StepBinder.PathOf(a[0]);
                if (a.Count == 2 && a[1] is not Arg.Word)
                {
                    throw new FormatException("FIELD must be a word");
                }
                break;
            case "write":
                Count(2, 2);
                StepBinder.PathOf(a[0]);
                break;
            case "mkdir" or "rmdir":
                Count(1, 1);
                if (!StepBinder.PathOf(a[0]).StartsWith(Kernel.Cgroups.CgroupPath.Prefix, StringComparison.Ordinal)
                    || Kernel.Cgroups.CgroupPath.Parse(StepBinder.PathOf(a[0])) is null)
                {
                    throw new FormatException("PATH must be a cgroup directory, /sys/fs/cgroup/HIER/...");
                }
                break;
            case "msgget":
                Count(2, 2);
                StepBinder.IpcKeyOf(a[0]);
                StepBinder.IpcFlagsOf(a[1]);
                break;
            case "semget" or "shmget":
                Count(3, 3);
                StepBinder.IpcKeyOf(a[0]);
                StepBinder.IntOf(a[1], step.Call == "semget" ? "NSEMS" : "SIZE");
                StepBinder.IpcFlagsOf(a[2]);
                break;
            case "msgctl" or "semctl" or "shmctl":
                Count(2, 2);
                StepBinder.IntOf(a[0], "ID");
                if (a[1] is not Arg.Word { Value: "IPC_RMID" })
                {
                    throw new FormatException("the only command is IPC_RMID");
                }
                break;
        }
    }
}

/// <summary>A <c>config</c> key: the configuration path it sets, whether only the model has it (conform leaves it to
/// the model), and a validator of its value (null when valid, else the reason).</summary>
public sealed record ConfigKey(string Path, bool ModelOnly, Func<string, string?> Validate)
{
    public static string? Integer(string v) =>
        long.TryParse(v, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _)
            ? null : "needs an integer value";

    /// <summary>Controller names separated by commas (possibly none).</summary>
    public static string? NameList(string v) =>
        Kernel.CgroupSettings.ParseList(v).All(n => n.Length > 0 && n.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            ? null : "needs controller names separated by commas";
}
