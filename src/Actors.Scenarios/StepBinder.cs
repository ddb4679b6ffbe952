using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Actors.Kernel.Ipc;
using Actors.Kernel.Tasks;

namespace Actors.Scenarios;

/// <summary>Turns a checked step into the system call the model makes, resolving <c>$NAME</c> when the step runs.</summary>
public static partial class StepBinder
{
    [GeneratedRegex(@"\$([A-Za-z_][A-Za-z0-9_-]*)")]
    private static partial Regex NameRef();

    /// <summary>The task names referenced inside a word (<c>/proc/$a/status</c>).</summary>
    public static IEnumerable<string> NamesIn(string word) => NameRef().Matches(word).Select(m => m.Groups[1].Value);

    /// <summary>Builds the call. <paramref name="pidOf"/> gives the pid of a task as the caller sees it (0 when not
    /// visible); <paramref name="taskOf"/> gives the task itself (null once it was reaped).</summary>
    public static Syscall Bind(Step step, Func<string, long> pidOf, Func<string, TaskRecord?> taskOf)
    {
        var a = step.Args;
        long PidArg(Arg arg) => arg is Arg.TaskRef r ? pidOf(r.Name) : ((Arg.Int)arg).Value;
        return step.Call switch
        {
            "fork" => new Calls.Fork(),
            "clone" => new Calls.Clone(CloneFlagsOf(a[0]),
                a.Count == 2 ? [.. ((Arg.Option)a[1]).Values.Select(v => (int)Math.Clamp(v, int.MinValue, int.MaxValue))] : ImmutableArray<int>.Empty),
            "unshare" => new Calls.Unshare(CloneFlagsOf(a[0])),
            "setns" => new Calls.Setns(taskOf(((Arg.TaskRef)a[0]).Name), CloneFlagsOf(a[1])),
            "exit" => new Calls.Exit((int)IntOf(a[0], "CODE"), Group: false),
            "exit_group" => new Calls.Exit((int)IntOf(a[0], "CODE"), Group: true),
            "wait" => new Calls.Wait(a.Count >= 1 ? (int)PidArg(a[0]) : -1, a.Count == 2),
            "kill" => new Calls.Kill((int)PidArg(a[0]), SignalOf(a[1])),
            "getpid" => new Calls.GetPid(),
            "getppid" => new Calls.GetPpid(),
            "gettid" => new Calls.GetTid(),
            "prctl" => new Calls.SetChildSubreaper(IntOf(a[1], "value")),
            "read" => new Calls.Read(Substitute(PathOf(a[0]), pidOf)),
            "write" => new Calls.Write(Substitute(PathOf(a[0]), pidOf), ValueOf(a[1], pidOf)),
            "mkdir" => new Calls.Mkdir(Substitute(PathOf(a[0]), pidOf)),
            "rmdir" => new Calls.Rmdir(Substitute(PathOf(a[0]), pidOf)),
            "msgget" => new Calls.IpcGet(IpcType.Msg, IpcKeyOf(a[0]), IpcFlagsOf(a[1]), 0),
            "semget" => new Calls.IpcGet(IpcType.Sem, IpcKeyOf(a[0]), IpcFlagsOf(a[2]), IntOf(a[1], "NSEMS")),
            "shmget" => new Calls.IpcGet(IpcType.Shm, IpcKeyOf(a[0]), IpcFlagsOf(a[2]), IntOf(a[1], "SIZE")),
            "msgctl" => new Calls.IpcRemove(IpcType.Msg, (int)IntOf(a[0], "ID")),
            "semctl" => new Calls.IpcRemove(IpcType.Sem, (int)IntOf(a[0], "ID")),
            "shmctl" => new Calls.IpcRemove(IpcType.Shm, (int)IntOf(a[0], "ID")),
            _ => throw new InvalidOperationException($"unchecked call {step.Call}"),
        };
    }

    /// <summary>A flag set: names joined with '|', or 0.</summary>
    public static CloneFlags CloneFlagsOf(Arg arg)
    {
        switch (arg)
        {
            case Arg.Int { Value: 0 }:
                return CloneFlags.None;
            case Arg.Word w:
                var flags = CloneFlags.None;
                foreach (var name in w.Value.Split('|'))
                {
                    if (name == "0")
                    {
                        continue;
                    }
                    if (name == "CLONE_NEWUSER")
                    {
                        throw new FormatException("user namespaces are not modelled (every task is privileged)");
                    }
                    if (!name.StartsWith("CLONE_", StringComparison.Ordinal) || !Enum.TryParse<CloneFlags>(name, out var f))
                    {
                        throw new FormatException($"unknown flag '{name}' (known: {string.Join("|", Enum.GetNames<CloneFlags>().Where(n => n.StartsWith("CLONE_", StringComparison.Ordinal) && n != "CLONE_NEWUSER"))})");
                    }
                    flags |= f;
                }
                return flags;
            default:
                throw new FormatException($"expected clone flags like CLONE_NEWPID|CLONE_PARENT or 0");
        }
    }

    /// <summary>A signal name (SIGKILL, ...) or 0.</summary>
    public static int SignalOf(Arg arg) => arg switch
    {
        Arg.Int { Value: 0 } => 0,
        Arg.Word w when Signals.ByName.TryGetValue(w.Value, out var sig) => sig,
        _ => throw new FormatException($"unknown signal (known: 0, {string.Join(", ", Signals.ByName.Keys)})"),
    };

    /// <summary>IPC_PRIVATE or an integer key.</summary>
    public static int IpcKeyOf(Arg arg) => arg switch
    {
        Arg.Word { Value: "IPC_PRIVATE" } => IpcConstants.PrivateKey,
        Arg.Int i when i.Value is >= int.MinValue and <= int.MaxValue => (int)i.Value,
        _ => throw new FormatException("KEY must be IPC_PRIVATE or an integer"),
    };

    /// <summary>IPC_CREAT|IPC_EXCL|0600 style flags (a number with a leading 0 is an octal mode), or 0.</summary>
    public static int IpcFlagsOf(Arg arg)
    {
        switch (arg)
        {
            case Arg.Int { Value: 0 }:
                return 0;
            case Arg.Word w:
                var flags = 0;
                foreach (var part in w.Value.Split('|'))
                {
                    flags |= part switch
                    {
                        "IPC_CREAT" => IpcConstants.Create,
                        "IPC_EXCL" => IpcConstants.Exclusive,
                        "0" => 0,
                        _ when part.Length > 1 && part[0] == '0' && part.All(c => c is >= '0' and <= '7') => Convert.ToInt32(part, 8),
                        _ => throw new FormatException($"unknown IPC flag '{part}' (IPC_CREAT, IPC_EXCL, an octal mode like 0600)"),
                    };
                }
                return flags;
            default:
                throw new FormatException("FLAGS must be like IPC_CREAT|IPC_EXCL|0600, or 0");
        }
    }

    public static long IntOf(Arg arg, string what) =>
        arg is Arg.Int i ? i.Value : throw new FormatException($"{what} must be an integer");

    public static string PathOf(Arg arg) => arg switch
    {
        Arg.Word { Value: var p } when p.StartsWith('/') => p,
        Arg.Str { Value: var p } when p.StartsWith('/') => p,
        _ => throw new FormatException("PATH must be an absolute path"),
    };

    private static string ValueOf(Arg arg, Func<string, long> pidOf) => arg switch
    {
        Arg.Int i => i.Value.ToString(CultureInfo.InvariantCulture),
        Arg.Str s => s.Value,
        Arg.Word w => Substitute(w.Value, pidOf),
        Arg.TaskRef r => pidOf(r.Name).ToString(CultureInfo.InvariantCulture),
        Arg.Option o => $"{o.Key}={string.Join(',', o.Values)}",
        _ => throw new InvalidOperationException(),
    };

    private static string Substitute(string word, Func<string, long> pidOf) =>
        NameRef().Replace(word, m => pidOf(m.Groups[1].Value).ToString(CultureInfo.InvariantCulture));
}
