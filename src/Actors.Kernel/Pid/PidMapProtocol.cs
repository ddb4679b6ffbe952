using Akka.Actor;

namespace Actors.Kernel.Pid;

/// <summary>Messages of <see cref="PidMapActor"/>: one handler is one hold of <c>pidmap_lock</c> on one namespace.</summary>
/// <remarks>The order in which they are sent is written down once, in src/Actors.Kernel/PROTOCOLS.md.</remarks>
public static class PidMapProtocol
{
    /// <summary>Reserve one number at this level (one iteration of alloc_pid()'s loop): this level's set_tid entry, or
    /// cyclic allocation when <c>Requested</c> is null.</summary>
    public sealed record Reserve(long Corr, int? Requested);

    /// <summary>Reply to <see cref="Reserve"/>: <c>Errno.None</c> and the number, or the errno.</summary>
    public sealed record Reserved(long Corr, int Nr, Errno Errno);

    /// <summary>Make <c>Pid</c>'s number at <c>Level</c> visible, then forward to the next inner level; the innermost
    /// level checks PIDNS_ADDING and replies <see cref="Committed"/> to <c>ReplyTo</c>.</summary>
    public sealed record Commit(long Corr, Pid Pid, int Level, IActorRef ReplyTo);

    /// <summary>Reply to <see cref="Commit"/> from the innermost level: <c>Errno.None</c>, or ENOMEM (dying namespace),
    /// in which case the inner number is still only reserved and the outer ones are visible.</summary>
    public sealed record Committed(long Corr, Errno Errno);

    /// <summary>Release <c>Numbers[Level]</c> here, then forward to <c>Level - 1</c> down to <c>StopLevel</c>; after
    /// that, send <c>Then</c> to <c>NotifyTo</c> if given. Visible numbers are freed as free_pid() does, reserved ones
    /// as alloc_pid()'s error path does (resetting the cursor when the namespace's first pid failed). <c>Numbers</c>
    /// always has one entry per level of the pid (entries below <c>StopLevel</c> are ignored); it is never mutated.</summary>
    public sealed record Release(IReadOnlyList<UPid> Numbers, int Level, int StopLevel, IActorRef? NotifyTo, object? Then);

    /// <summary>zap_pid_ns_processes(): disable_pid_allocation().</summary>
    public sealed record DisableAllocation
    {
        public static readonly DisableAllocation Instance = new();
        private DisableAllocation() { }
    }

    /// <summary>zap_pid_ns_processes()'s last loop: reply <c>Then</c> to <c>ReplyTo</c> once pid_allocated equals <c>Count</c>.</summary>
    public sealed record NotifyWhenCount(int Count, IActorRef ReplyTo, object Then);

    /// <summary>copy_process() made a task this namespace's child_reaper.</summary>
    public sealed record SetChildReaper
    {
        public static readonly SetChildReaper Instance = new();
        private SetChildReaper() { }
    }

    /// <summary>A read or write of a sysctl of this namespace: /proc/sys/kernel/ns_last_pid or pid_max.</summary>
    public sealed record Sysctl(long Corr, PidSysctl Which, long? WriteValue);

    /// <summary>Reply to <see cref="Sysctl"/>.</summary>
    public sealed record SysctlResult(long Corr, long Value, Errno Errno);
}

/// <summary>The per-namespace sysctls that live in the pid map.</summary>
public enum PidSysctl
{
    NsLastPid,
    PidMax,
}
