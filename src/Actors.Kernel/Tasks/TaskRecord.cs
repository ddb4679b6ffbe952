using Akka.Actor;

namespace Actors.Kernel.Tasks;

/// <summary>exit_state of a task (include/linux/sched.h), plus the running state.</summary>
/// <remarks>A byte, so that a task record packs into 72 bytes instead of 80.</remarks>
public enum ExitState : byte
{
    Running,
    /// <summary>EXIT_ZOMBIE: exited, waiting to be reaped; still holds its pid numbers.</summary>
    Zombie,
    /// <summary>EXIT_DEAD: released; its numbers are being freed.</summary>
    Dead,
}

/// <summary>One task as the task list sees it: its pid, its thread group, its place in the process tree.</summary>
/// <remarks>
/// Linux: the parts of <c>struct task_struct</c> protected by tasklist_lock (real_parent, children, sibling,
/// exit_state, thread_node). The task's own thread of execution is its <see cref="Actor"/> (a <see cref="TaskActor"/>).
/// Owned by the <see cref="TaskList"/>; not thread-safe.
/// </remarks>
public sealed class TaskRecord
{
    internal TaskRecord(int id, Pid.Pid pid, ThreadGroup group, long attachSeq, NextIdSlot nextId)
    {
        Id = id;
        Pid = pid;
        Group = group;
        AttachSeq = attachSeq;
        NextId = nextId;
    }

    /// <summary>The task's next_id slot (shared by the threads of a process under next-id-scope = process). Immutable
    /// reference; the slot guards itself.</summary>
    public NextIdSlot NextId { get; }

    /// <summary>Kernel-unique task identity (never reused; names the actor). Immutable.</summary>
    public int Id { get; }

    /// <summary>The task's pid: its numbers and, through <see cref="Pid.Pid.Ns"/>, its active pid namespace. Immutable.</summary>
    public Pid.Pid Pid { get; }

    /// <summary>The thread group (signal_struct) it belongs to. Immutable.</summary>
    public ThreadGroup Group { get; }

    /// <summary>The task's actor. Set once, right after attach.</summary>
    public IActorRef Actor { get; internal set; } = ActorRefs.Nobody;

    /// <summary>Order of attachment, for the "a dying namespace gains no task" invariant. Immutable.</summary>
    public long AttachSeq { get; }

    public bool IsLeader => ReferenceEquals(Group.Leader, this);

    public ExitState ExitState { get; internal set; }

    /// <summary>PF_EXITING: the task entered do_exit (it is no longer an "alive thread" for reparenting).</summary>
    public bool Exiting { get; internal set; }

    /// <summary>The numbers were already given back (only under the deliberate bug ModelBreak.FreePidAtExit).</summary>
    internal bool NumbersFreed { get; set; }

    /// <summary>The init whose exit waits in zap_pid_ns_processes() for its namespace to empty.</summary>
    internal bool ZapWaiting { get; set; }

    /// <summary>Processes (thread-group leaders) whose real_parent is this thread, in the order they became its children.</summary>
    internal IReadOnlyList<TaskRecord> Children => _children ?? (IReadOnlyList<TaskRecord>)[];

    /// <summary>Made at the first child: most tasks never have one (an empty list cost 32 bytes of every task).</summary>
    private List<TaskRecord>? _children;

    internal void AddChild(TaskRecord child) => (_children ??= []).Add(child);

    internal void RemoveChild(TaskRecord child) => _children?.Remove(child);

    internal void ClearChildren() => _children?.Clear();

    /// <summary>Live: not exiting, not exited.</summary>
    public bool Alive => ExitState == ExitState.Running && !Exiting;

    public override string ToString() => $"task{Id}[{Pid}]";
}

/// <summary>A thread group: what its threads share (signal_struct and the group's parent).</summary>
/// <remarks>Owned by the <see cref="TaskList"/>; not thread-safe.</remarks>
public sealed class ThreadGroup
{
    internal ThreadGroup(TaskRecord? realParent) => RealParent = realParent;

    /// <summary>The group leader; its pid is the group's tgid. Set once.</summary>
    public TaskRecord Leader { get; internal set; } = null!;

    // Threads not yet released, in creation order (thread_head): the one thread in a field until a second one joins,
    // then a list (most groups never get a second thread; a list and its array cost 64 bytes of every process).
    private TaskRecord? _soleMember;
    private List<TaskRecord>? _members;

    /// <summary>Threads not yet released, in creation order (thread_head). A copy: for observers and tests; the task list
    /// uses <see cref="MemberCount"/> and <see cref="Member"/>.</summary>
    internal IReadOnlyList<TaskRecord> Members => _members is not null ? [.. _members] : _soleMember is null ? [] : [_soleMember];

    /// <summary>The number of threads not yet released.</summary>
    internal int MemberCount => _members?.Count ?? (_soleMember is null ? 0 : 1);

    /// <summary>The <paramref name="index"/>th thread not yet released, in creation order.</summary>
    internal TaskRecord Member(int index) => _members is not null
        ? _members[index]
        : index == 0 && _soleMember is not null ? _soleMember : throw new ArgumentOutOfRangeException(nameof(index));

    internal void AddMember(TaskRecord t)
    {
        if (_members is not null)
        {
            _members.Add(t);
        }
        else if (_soleMember is null)
        {
            _soleMember = t;
        }
        else
        {
            _members = [_soleMember, t];
            _soleMember = null;
        }
    }

    internal void RemoveMember(TaskRecord t)
    {
        if (_members is not null)
        {
            _members.Remove(t);
        }
        else if (ReferenceEquals(_soleMember, t))
        {
            _soleMember = null;
        }
    }

    /// <summary>The position of <paramref name="t"/> among the threads not yet released, or -1.</summary>
    internal int IndexOfMember(TaskRecord t)
    {
        for (var i = 0; i < MemberCount; i++)
        {
            if (ReferenceEquals(Member(i), t))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>real_parent of every thread of the group: a thread of the parent process; null when the parent is
    /// outside the scenario (the scenario's init).</summary>
    public TaskRecord? RealParent { get; internal set; }

    /// <summary>SIGNAL_UNKILLABLE: the group of a namespace's init.</summary>
    public bool Unkillable { get; internal set; }

    /// <summary>signal-&gt;is_child_subreaper (prctl PR_SET_CHILD_SUBREAPER).</summary>
    public bool IsChildSubreaper { get; internal set; }

    /// <summary>signal-&gt;has_child_subreaper: some ancestor is a subreaper (inherited at fork).</summary>
    public bool HasChildSubreaper { get; internal set; }

    /// <summary>SIGCHLD is SIG_IGN: children are reaped as soon as they become zombies (set by zap_pid_ns_processes()).</summary>
    public bool IgnoreSigchld { get; internal set; }

    /// <summary>A fatal signal (SIGKILL, or exit_group by another thread) is pending for the whole group.</summary>
    public bool FatalPending { get; internal set; }

    /// <summary>True when only the leader is left (thread_group_empty()).</summary>
    public bool Empty => MemberCount == 1 && ReferenceEquals(Member(0), Leader);
}
