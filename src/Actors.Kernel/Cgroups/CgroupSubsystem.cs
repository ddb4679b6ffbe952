using System.Collections.Immutable;

namespace Actors.Kernel.Cgroups;

/// <summary>A controller (Linux <c>struct cgroup_subsys</c>; the 2007 series' "subsystem"): its name, and the state it
/// keeps in each cgroup of the hierarchy it is bound to (its css). The core (<see cref="CgroupCore"/>) knows nothing of
/// a controller but this class: a new controller is a subclass, or a block of configuration
/// (<see cref="ConfiguredSubsystem"/>).</summary>
public abstract class CgroupSubsystem
{
    /// <summary>The order of Linux's subsystem ids (include/linux/cgroup_subsys.h): listings such as
    /// <c>cgroup.controllers</c> follow it.</summary>
    public static readonly ImmutableArray<string> KernelOrder =
    [
        "cpuset", "cpu", "cpuacct", "io", "memory", "devices", "freezer", "net_cls", "perf_event", "net_prio", "hugetlb",
        "pids", "rdma", "misc",
    ];

    public abstract string Name { get; }

    /// <summary>Can be enabled inside a threaded subtree and in a cgroup that "can be a thread root"
    /// (<c>cgroup_subsys.threaded</c>): pids, cpu, cpuset, perf_event.</summary>
    public virtual bool Threaded => false;

    /// <summary>The controller has can_fork/cancel_fork/release hooks that charge every level from a task's css up to
    /// (not including) the root (pids). Forks then walk those levels one cgroup actor at a time.</summary>
    public virtual bool ChargesTasks => false;

    /// <summary>css_alloc(): the state of this controller in a new cgroup (never the hierarchy's root, which the model
    /// does not show). <paramref name="onDefault"/> is true on the v2 unified hierarchy.</summary>
    public abstract Css Create(bool onDefault);

    /// <summary>The file names a css of this controller has (<c>Create(onDefault).Files</c>, computed once per kind of
    /// hierarchy): the core looks paths up with them.</summary>
    public IReadOnlyList<string> FileNames(bool onDefault) =>
        _fileNames[onDefault ? 1 : 0] ??= Create(onDefault).Files;

    private readonly IReadOnlyList<string>?[] _fileNames = new IReadOnlyList<string>?[2];

    /// <summary>Position in <see cref="KernelOrder"/> (unknown names sort last, by name).</summary>
    public int Order => KernelOrder.IndexOf(Name) is var i and >= 0 ? i : KernelOrder.Length;

    public override string ToString() => Name;
}

/// <summary>One controller's state in one cgroup (<c>struct cgroup_subsys_state</c>), owned by that cgroup's
/// <see cref="CgroupActor"/>: its files and, for controllers that charge tasks, the counter forks and reaps move.</summary>
public abstract class Css
{
    /// <summary>The file names this css adds to its cgroup's directory, with the controller prefix.</summary>
    public abstract IReadOnlyList<string> Files { get; }

    /// <summary>The file's text (with its final newline), or an errno.</summary>
    public abstract (string? Text, Errno Errno) Read(string file);

    /// <summary>Writes <paramref name="text"/> to the file; the errno the write returns.</summary>
    public abstract Errno Write(string file, string text);

    /// <summary>One level of can_fork: charge one task unless that would exceed this level's limit (then nothing
    /// changes and the fork fails at this level).</summary>
    public virtual bool TryCharge() => true;

    /// <summary>A charge that cannot fail (migration, pids_charge) or an uncharge (negative: cancel_fork, release,
    /// revert).</summary>
    public virtual void Adjust(long delta)
    {
    }

    /// <summary>A fork was refused by this controller; <paramref name="role"/> says how this css took part.</summary>
    public virtual void ForkRejected(ForkRejectionRole role)
    {
    }

    /// <summary>The css's own invariants (throws <see cref="InvariantViolationException"/>).</summary>
    public virtual void CheckInvariants()
    {
    }

    /// <summary>The number of tasks charged here, for controllers that charge tasks (the quiescent invariant compares it
    /// with the core's membership).</summary>
    public virtual long Charged => 0;
}

/// <summary>How a css took part in a refused fork (pids_event()).</summary>
[Flags]
public enum ForkRejectionRole
{
    None = 0,
    /// <summary>The css of the forking task's cgroup.</summary>
    Forking = 1,
    /// <summary>The level whose limit the charge exceeded.</summary>
    OverLimit = 2,
    /// <summary>An ancestor of the level whose limit was exceeded (v2 hierarchical events).</summary>
    AboveOverLimit = 4,
}
