namespace Actors.Kernel.Tasks;

/// <summary>clone flags (include/uapi/linux/sched.h) the model knows.</summary>
[Flags]
public enum CloneFlags : long
{
    None = 0,
    CLONE_VM = 0x00000100,
    CLONE_FS = 0x00000200,
    CLONE_FILES = 0x00000400,
    CLONE_SIGHAND = 0x00000800,
    CLONE_PARENT = 0x00008000,
    CLONE_THREAD = 0x00010000,
    CLONE_NEWNS = 0x00020000,
    CLONE_NEWUTS = 0x04000000,
    CLONE_NEWIPC = 0x08000000,
    CLONE_NEWUSER = 0x10000000,
    CLONE_NEWPID = 0x20000000,
    CLONE_NEWNET = 0x40000000,
}

/// <summary>Signals the model knows (x86-64 numbers).</summary>
public static class Signals
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGKILL = 9;
    public const int SIGUSR1 = 10;
    public const int SIGUSR2 = 12;
    public const int SIGTERM = 15;
    public const int SIGCHLD = 17;

    /// <summary>Names accepted by scenarios, with their numbers.</summary>
    public static readonly IReadOnlyDictionary<string, int> ByName = new Dictionary<string, int>
    {
        ["SIGHUP"] = SIGHUP, ["SIGINT"] = SIGINT, ["SIGQUIT"] = SIGQUIT, ["SIGKILL"] = SIGKILL,
        ["SIGUSR1"] = SIGUSR1, ["SIGUSR2"] = SIGUSR2, ["SIGTERM"] = SIGTERM, ["SIGCHLD"] = SIGCHLD,
    };

    /// <summary>True for signals whose default action is to ignore them (kernel/signal.c SIG_KERNEL_IGNORE_MASK).</summary>
    public static bool IgnoredByDefault(int sig) => sig == SIGCHLD;
}
