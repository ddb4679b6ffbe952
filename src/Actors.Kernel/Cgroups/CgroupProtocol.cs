using Actors.Kernel.Pid;
using Akka.Actor;

namespace Actors.Kernel.Cgroups;

/// <summary>Messages of the cgroup core (<see cref="CgroupCoreActor"/>) and of the cgroup actors
/// (<see cref="CgroupActor"/>). PROTOCOLS.md, "cgroups", has the order.</summary>
public static class CgroupProtocol
{
    /// <summary>cgroup_can_fork(): take the rwsem for read, snapshot the forker's css_set; answered with
    /// <see cref="ForkAdmitted"/> by the core (nothing to charge) or by the last charged level.</summary>
    public sealed record CanFork(long Corr, int TaskId, IActorRef ReplyTo);

    /// <summary>The fork may go on (<c>Errno</c> None, every level charged) or is refused (EAGAIN, every level
    /// reverted, events counted).</summary>
    public sealed record ForkAdmitted(long Corr, ForkTicket Ticket, Errno Errno);

    /// <summary>One level of pids_try_charge(), chained innermost first along <c>Ticket.Chain</c>.</summary>
    public sealed record Charge(long Corr, ForkTicket Ticket, int Index, IActorRef ReplyTo);

    /// <summary>The charge was refused at level <c>OverLimit</c>: <c>Up</c>, count the hierarchical events of the
    /// levels above it (v2); then, down from <c>OverLimit - 1</c>, revert each level (pids_cancel) and count the
    /// forking level's local event; the last one answers the forker.</summary>
    public sealed record Reject(long Corr, ForkTicket Ticket, int Index, int OverLimit, bool Up, IActorRef ReplyTo);

    /// <summary>cgroup_post_fork(): link the child into the css_set the fork took; drop the rwsem.</summary>
    public sealed record PostFork(ForkTicket Ticket, int ChildId, Pid.Pid ChildPid, int LeaderId, Pid.Pid LeaderPid);

    /// <summary>cgroup_cancel_fork(): the fork failed after can_fork; uncharge when it had been charged; drop the rwsem.</summary>
    public sealed record CancelFork(ForkTicket Ticket, bool Uncharge);

    /// <summary>do_exit(): cgroup_exit(), then <c>Then</c> goes on to <c>ThenTo</c> (exit_notify in the task list).</summary>
    public sealed record Exit(int TaskId, object Then, IActorRef ThenTo);

    /// <summary>release_task() -> cgroup_release().</summary>
    public sealed record Release(int TaskId);

    /// <summary>read, write, mkdir or rmdir of a cgroupfs path by task <c>TaskId</c> whose active pid namespace is
    /// <c>Ns</c>; answered with <see cref="Result"/> (by the core, or by the cgroup actor for a controller's file).</summary>
    public sealed record File(long Corr, CgroupFileOp Op, CgroupPath Path, string? Value, int TaskId, NsHandle Ns, IActorRef ReplyTo);

    /// <summary>Model only: the release-agent calls of hierarchy <c>Hierarchy</c>, one line each ("AGENT PATH").</summary>
    public sealed record ReadReleaseAgentCalls(long Corr, string Hierarchy, IActorRef ReplyTo);

    /// <summary>A file operation's result: text for a read, else 0 or the errno.</summary>
    public sealed record Result(long Corr, string? Text, Errno Errno);

    /// <summary>Core to cgroup actor: read or write one of a css's files.</summary>
    public sealed record CssFile(long Corr, CgroupFileOp Op, string Subsystem, string Name, string? Value, IActorRef ReplyTo);

    /// <summary>Core to cgroup actor: a charge that cannot fail, or an uncharge.</summary>
    public sealed record Adjust(string Subsystem, long Delta);

    /// <summary>Core to cgroup actor (v2): a css appears, charged with the tasks already below.</summary>
    public sealed record EnableCss(string Subsystem, long Tasks);

    /// <summary>Core to cgroup actor (v2): the css goes.</summary>
    public sealed record DisableCss(string Subsystem);
}
