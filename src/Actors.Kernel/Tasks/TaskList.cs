using Actors.Kernel.Pid;

namespace Actors.Kernel.Tasks;

/// <summary>The result a wait(2) call returns: the reaped pid as the waiter sees it, 0 (WNOHANG), an errno, or
/// "dead" when the waiter was killed while it waited.</summary>
public readonly record struct WaitResult(long Value, Errno Errno, bool Dead);

/// <summary>A wait(2) call to complete: who waits, its call's correlation id, and the result.</summary>
public sealed record WaitCompletion(TaskRecord Waiter, long Corr, WaitResult Result);

/// <summary>What the task list asks its actor to do, in the order it asks.</summary>
public interface ITaskListOutbox
{
    /// <summary>Deliver SIGKILL to one thread: it will run do_exit.</summary>
    void KillThread(TaskRecord thread);

    /// <summary>release_task(): free the task's pid numbers (innermost level first), stop its actor, and then, if
    /// given, complete the wait that reaped it.</summary>
    void Release(TaskRecord task, WaitCompletion? completion);

    /// <summary>Free the task's numbers without releasing it (only under the deliberate bug
    /// <see cref="ModelBreak.FreePidAtExit"/>; <see cref="Release"/> then skips them).</summary>
    void FreeNumbers(TaskRecord task);

    /// <summary>Complete a wait that reaped nothing (an errno, 0 for WNOHANG, or the waiter died).</summary>
    void CompleteWait(WaitCompletion completion);

    /// <summary>disable_pid_allocation() on the namespace's pid map.</summary>
    void DisableAllocation(NsHandle ns);

    /// <summary>Tell <see cref="TaskList.NamespaceEmptied"/> once the namespace's pid_allocated equals <paramref name="count"/>.</summary>
    void WaitForCount(NsHandle ns, int count, TaskRecord init);

    /// <summary>The namespace got its child_reaper (its pid map accepts set_tid numbers other than 1 from now on).</summary>
    void SetChildReaper(NsHandle ns);
}

/// <summary>The process tree: every task, thread group and parent/child link, each namespace's child reaper, and the
/// operations Linux does under <c>tasklist_lock</c>.</summary>
/// <remarks>
/// Linux: the task list and <c>tasklist_lock</c> (kernel/fork.c:copy_process() from the lock on,
/// kernel/exit.c:exit_notify(), forget_original_parent(), find_child_reaper(), find_new_reaper(), reparent_leader(),
/// release_task(), do_wait(), kernel/pid_namespace.c:zap_pid_ns_processes(), kernel/signal.c kill paths,
/// kernel/sys.c:getppid(), PR_SET_CHILD_SUBREAPER, fs/proc/array.c:task_state()). Every public method is one atomic
/// step, as one hold of tasklist_lock is; effects on other actors go through the <see cref="ITaskListOutbox"/>.
/// Not modelled: ptrace, pdeath_signal, stopped/continued states, exit statuses (wait returns only the pid),
/// process groups and sessions, signal handlers (every disposition is the default).
/// Owned by one <see cref="TaskListActor"/>; not thread-safe.
/// Invariant (links): a leader is in its real parent's children list and nowhere else; every listed child names that
/// parent. Invariant (index): a number is held by at most one task per namespace. Invariant (dying): no task whose
/// active namespace is dying attached after the namespace started dying.
/// </remarks>
public sealed class TaskList
{
    private readonly ITaskListOutbox _out;
    private readonly Dictionary<int, TaskRecord> _byId = [];
    private readonly Dictionary<(int Ns, int Nr), TaskRecord> _byNr = [];
    private readonly Dictionary<int, TaskRecord> _childReaper = [];
    private readonly Dictionary<int, long> _dyingSince = [];
    private readonly List<PendingWait> _waits = [];
    private readonly List<ThreadGroup> _toWake = [];
    private long _attachSeq;
    private TaskRecord? _init; // the scenario's init: leader of the one session and process group every task is in

    private readonly bool _freePidAtExit;

    /// <param name="outbox">Where effects on other actors go.</param>
    /// <param name="freePidAtExit">The deliberate bug <see cref="ModelBreak.FreePidAtExit"/> (explorer tests only).</param>
    public TaskList(ITaskListOutbox outbox, bool freePidAtExit = false)
    {
        _out = outbox;
        _freePidAtExit = freePidAtExit;
    }

    /// <summary>Tasks not yet released, by id.</summary>
    public IReadOnlyDictionary<int, TaskRecord> Tasks => _byId;

    /// <summary>Number of tasks (threads) not yet released.</summary>
    public int Count => _byId.Count;

    /// <summary>The task holding <paramref name="nr"/> in <paramref name="ns"/>, or null (find_task_by_pid_ns()).</summary>
    public TaskRecord? Find(NsHandle ns, int nr) => _byNr.GetValueOrDefault((ns.Id, nr));

    /// <summary>The namespace's child reaper, or null.</summary>
    public TaskRecord? ChildReaperOf(NsHandle ns) => _childReaper.GetValueOrDefault(ns.Id);

    /// <summary>True once the namespace's init died (zap_pid_ns_processes() began).</summary>
    public bool IsDying(NsHandle ns) => _dyingSince.ContainsKey(ns.Id);

    /// <summary>Creates the first task of a kernel (its init), with no parent inside the model.</summary>
    public TaskRecord Boot(int id, Pid.Pid pid)
    {
        var group = new ThreadGroup(realParent: null);
        var init = NewTask(id, pid, group, new NextIdSlot());
        group.Leader = init;
        _init = init;
        MakeReaperIfInit(init);
        return init;
    }

    /// <summary>copy_process() from write_lock_irq(&amp;tasklist_lock) on: refuse a dying namespace (ENOMEM) or a
    /// forker with a fatal signal pending (EINTR), else link the child into the tree. A new thread shares the forker's
    /// next_id slot when <paramref name="shareNextId"/> (next-id-scope = process).</summary>
    public Errno Attach(TaskRecord forker, int childId, Pid.Pid pid, CloneFlags flags, out TaskRecord? child, bool shareNextId = false)
    {
        child = null;
        RequireLive(forker);
        // "Don't start children in a dying pid namespace"
        if (IsDying(pid.Ns))
        {
            return Errno.ENOMEM;
        }
        // "Let kill terminate clone/fork in the middle"
        if (forker.Group.FatalPending)
        {
            return Errno.EINTR;
        }
        if ((flags & CloneFlags.CLONE_THREAD) != 0)
        {
            child = NewTask(childId, pid, forker.Group, shareNextId ? forker.NextId : new NextIdSlot());
            return Errno.None;
        }
        // CLONE_PARENT re-uses the old parent.
        var parent = (flags & CloneFlags.CLONE_PARENT) != 0 ? forker.Group.RealParent : forker;
        var group = new ThreadGroup(parent);
        child = NewTask(childId, pid, group, new NextIdSlot());
        group.Leader = child;
        if (parent is not null)
        {
            group.HasChildSubreaper = parent.Group.HasChildSubreaper || parent.Group.IsChildSubreaper;
            parent.AddChild(child);
        }
        MakeReaperIfInit(child);
        return Errno.None;
    }

    /// <summary>do_exit() from exit_notify() on, for a thread that exits (<paramref name="group"/>: exit_group, which
    /// first kills the other threads).</summary>
    public void Exit(TaskRecord t, bool group)
    {
        if (t.ExitState != ExitState.Running || t.Exiting)
        {
            throw new InvariantViolationException($"{t} exits twice");
        }
        if (group && !t.Group.FatalPending)
        {
            // do_group_exit(): zap_other_threads().
            KillGroup(t.Group, except: t);
        }
        t.Exiting = true;
        CancelWaits(t, dead: true);
        var ns = t.Pid.Ns;
        var reaper = _childReaper.GetValueOrDefault(ns.Id);
        if (ReferenceEquals(reaper, t))
        {
            // find_child_reaper(): another live thread of init's group takes over, or the namespace dies.
            var heir = FindAliveThread(t);
            if (heir is null)
            {
                Zap(ns, t);
                WakeWaiters();
                return;
            }
            _childReaper[ns.Id] = heir;
        }
        FinishExit(t, reaper ?? t);
        WakeWaiters();
    }

    /// <summary>The namespace whose death <paramref name="init"/> waited for has no pid left but init's: finish
    /// init's exit (zap_pid_ns_processes() returns).</summary>
    public void NamespaceEmptied(TaskRecord init)
    {
        if (!init.ZapWaiting)
        {
            throw new InvariantViolationException($"{init} was not waiting for its namespace to empty");
        }
        init.ZapWaiting = false;
        FinishExit(init, init);
        WakeWaiters();
    }

    /// <summary>do_wait() for <paramref name="waiter"/>: <paramref name="selector"/> -1 = any child, &gt; 0 = the child
    /// with that number in the waiter's namespace, 0 or -(init's number) = any child of the one process group (see
    /// <see cref="Kill"/>), another &lt; -1 = none. Returns the completion to send now (ECHILD, or 0 for WNOHANG), or
    /// null: either a child was reaped (the wait completes through <see cref="ITaskListOutbox.Release"/> once its
    /// numbers are free) or the call blocks (it completes when a child becomes reapable).</summary>
    public WaitCompletion? Wait(TaskRecord waiter, long corr, int selector, bool noHang)
    {
        RequireLive(waiter);
        var pending = new PendingWait(waiter, corr, selector, noHang);
        var done = TryWait(pending);
        if (done is null)
        {
            _waits.Add(pending);
        }
        WakeWaiters();
        return done is { Result.Value: > 0 } ? null : done;
    }

    /// <summary>True when <paramref name="waiter"/> has a wait parked.</summary>
    public bool IsWaiting(TaskRecord waiter) => _waits.Exists(w => ReferenceEquals(w.Waiter, waiter));

    /// <summary>Interrupts a blocked wait (the caller gets EINTR); false when none was parked.</summary>
    public bool CancelWait(TaskRecord waiter)
    {
        var i = _waits.FindIndex(w => ReferenceEquals(w.Waiter, waiter));
        if (i < 0)
        {
            return false;
        }
        var w = _waits[i];
        _waits.RemoveAt(i);
        _out.CompleteWait(new WaitCompletion(w.Waiter, w.Corr, new WaitResult(-1, Errno.EINTR, false)));
        return true;
    }

    /// <summary>kill(2) from <paramref name="sender"/> (kernel/signal.c:kill_something_info()): <paramref name="nr"/>
    /// &gt; 0 is a number in the sender's namespace; 0 the sender's process group; -1 every process the sender sees
    /// with a number &gt; 1, its own aside; &lt; -1 the process group -nr. Process groups are not modelled beyond this:
    /// every task is in the scenario init's group (init is a session leader, as the conform helper's is), numbered
    /// as init is in the sender's namespace.</summary>
    public Errno Kill(TaskRecord sender, int nr, int sig)
    {
        if (nr > 0)
        {
            return Find(sender.Pid.Ns, nr) is { } target ? Signal(sender, target, sig) : Errno.ESRCH;
        }
        if (nr == -1)
        {
            // for_each_process(): task_pid_vnr(p) > 1 && !same_thread_group(p, current).
            var victims = Processes().Where(p => p.Pid.NrIn(sender.Pid.Ns) > 1 && !ReferenceEquals(p.Group, sender.Group)).ToList();
            foreach (var p in victims)
            {
                Signal(sender, p, sig);
            }
            return victims.Count > 0 ? Errno.None : Errno.ESRCH;
        }
        // __kill_pgrp_info(): find_vpid(-nr), or task_pgrp(current) for 0; ESRCH for a group without members.
        if (nr < -1 && (_init is null || _init.Pid.NrIn(sender.Pid.Ns) != -nr))
        {
            return Errno.ESRCH;
        }
        var members = Processes().ToList();
        foreach (var p in members)
        {
            Signal(sender, p, sig);
        }
        return members.Count > 0 ? Errno.None : Errno.ESRCH;
    }

    /// <summary>Thread-group leaders not yet released (for_each_process(), and the members of a process group), in
    /// creation order.</summary>
    private IEnumerable<TaskRecord> Processes() => _byId.Values.Where(t => t.IsLeader).OrderBy(t => t.AttachSeq);

    /// <summary>group_send_sig_info() to <paramref name="target"/>'s thread group.</summary>
    private Errno Signal(TaskRecord sender, TaskRecord target, int sig)
    {
        // The signal goes to the thread group (group_send_sig_info); a zombie leader's live threads still get it.
        if (sig == 0 || target.Group.FatalPending || FindAliveThread(target) is null)
        {
            return Errno.None;
        }
        // kernel/signal.c:send_signal_locked(): "force" when the sender is not visible in the target's namespace
        // (an ancestor namespace); sig_task_ignored(): SIGNAL_UNKILLABLE drops default-action signals unless forced
        // and SIGKILL/SIGSTOP.
        var force = sender.Pid.NrIn(target.Pid.Ns) == 0;
        if (target.Group.Unkillable && !(force && sig == Signals.SIGKILL))
        {
            return Errno.None;
        }
        if (Signals.IgnoredByDefault(sig))
        {
            return Errno.None;
        }
        KillGroup(target.Group, except: null);
        return Errno.None;
    }

    /// <summary>thread_group_empty(): <paramref name="t"/> leads its group and is its only member (threads that
    /// exited but are not released yet still count).</summary>
    public bool ThreadGroupEmpty(TaskRecord t) => t.IsLeader && t.Group.MemberCount == 1;

    /// <summary>getppid(): the parent's tgid in the caller's namespace, 0 when it is not visible there.</summary>
    public int GetPpid(TaskRecord t) => t.Group.RealParent?.Group.Leader.Pid.NrIn(t.Pid.Ns) ?? 0;

    /// <summary>prctl(PR_SET_CHILD_SUBREAPER, on).</summary>
    public void SetChildSubreaper(TaskRecord t, bool on)
    {
        t.Group.IsChildSubreaper = on;
        if (!on)
        {
            return;
        }
        // walk_process_tree(me, propagate_has_child_subreaper): descendants learn they have a subreaper above.
        var stack = new Stack<TaskRecord>();
        PushChildren(t.Group, stack);
        while (stack.Count > 0)
        {
            var c = stack.Pop();
            if (c.Group.HasChildSubreaper)
            {
                continue;
            }
            c.Group.HasChildSubreaper = true;
            PushChildren(c.Group, stack);
        }
    }

    /// <summary>fs/proc/array.c:task_state() for a procfs of namespace <paramref name="procNs"/>: the Tgid, Pid, PPid,
    /// NStgid and NSpid lines, tab-separated as Linux prints them. Null when the task is not visible there.</summary>
    public string? Status(TaskRecord t, NsHandle procNs)
    {
        if (t.Pid.NrIn(procNs) == 0)
        {
            return null;
        }
        var leader = t.Group.Leader;
        var ppid = t.Group.RealParent?.Group.Leader.Pid.NrIn(procNs) ?? 0;
        return $"Tgid:\t{leader.Pid.NrIn(procNs)}\nPid:\t{t.Pid.NrIn(procNs)}\nPPid:\t{ppid}\n" +
               $"NStgid:\t{string.Join('\t', leader.Pid.NumbersFrom(procNs))}\nNSpid:\t{string.Join('\t', t.Pid.NumbersFrom(procNs))}\n";
    }

    /// <summary>Checks the invariants named in the type's remarks; throws <see cref="InvariantViolationException"/>.</summary>
    public void CheckInvariants()
    {
        foreach (var t in _byId.Values)
        {
            if (t.Group.IndexOfMember(t) < 0)
            {
                throw new InvariantViolationException($"{t} is not a member of its thread group");
            }
            for (var level = 0; level <= t.Pid.Level; level++)
            {
                var u = t.Pid.Numbers[level];
                if (!ReferenceEquals(_byNr.GetValueOrDefault((u.Ns.Id, u.Nr)), t))
                {
                    throw new InvariantViolationException($"{t}: number {u.Nr} in {u.Ns} is not indexed to it");
                }
                if (u.Ns.Destroyed)
                {
                    throw new InvariantViolationException($"{t}: its pid's namespace {u.Ns} was destroyed");
                }
            }
            for (var i = 0; i < t.Children.Count; i++)
            {
                var c = t.Children[i];
                if (!c.IsLeader || !ReferenceEquals(c.Group.RealParent, t) || !_byId.ContainsKey(c.Id))
                {
                    throw new InvariantViolationException($"{t} lists {c} as a child, but its parent is {c.Group.RealParent}");
                }
            }
            if (t.IsLeader && t.Group.RealParent is { } p)
            {
                if (!_byId.ContainsKey(p.Id) || !p.Children.Contains(t))
                {
                    throw new InvariantViolationException($"{t}'s parent {p} does not list it as a child");
                }
            }
            if (_dyingSince.TryGetValue(t.Pid.Ns.Id, out var since) && t.AttachSeq > since)
            {
                throw new InvariantViolationException($"{t} joined {t.Pid.Ns} after it started dying");
            }
            if (t.ExitState == ExitState.Dead)
            {
                throw new InvariantViolationException($"{t} is dead but not released");
            }
        }
        var indexed = 0;
        foreach (var t in _byId.Values)
        {
            indexed += t.Pid.Level + 1;
        }
        if (indexed != _byNr.Count)
        {
            throw new InvariantViolationException($"pid index has {_byNr.Count} numbers, tasks hold {indexed}");
        }
    }

    private TaskRecord NewTask(int id, Pid.Pid pid, ThreadGroup group, NextIdSlot nextId)
    {
        var t = new TaskRecord(id, pid, group, ++_attachSeq, nextId);
        foreach (var u in pid.Numbers)
        {
            if (!_byNr.TryAdd((u.Ns.Id, u.Nr), t))
            {
                throw new InvariantViolationException($"number {u.Nr} in {u.Ns} is held by {_byNr[(u.Ns.Id, u.Nr)]} and {t}");
            }
        }
        _byId.Add(id, t);
        group.AddMember(t);
        return t;
    }

    private void MakeReaperIfInit(TaskRecord t)
    {
        // copy_process(): "if (is_child_reaper(pid)) { ns_of_pid(pid)->child_reaper = p; SIGNAL_UNKILLABLE }"
        if (t.IsLeader && t.Pid.Numbers[^1].Nr == 1)
        {
            _childReaper[t.Pid.Ns.Id] = t;
            t.Group.Unkillable = true;
            _out.SetChildReaper(t.Pid.Ns);
        }
    }

    private void Zap(NsHandle ns, TaskRecord init)
    {
        // zap_pid_ns_processes(): no more pids here, SIGCHLD ignored, SIGKILL to every task with a number >= 2
        // (in number order, as idr_for_each_entry_continue walks), reap the zombies we had, then sleep until
        // pid_allocated == init_pids.
        _dyingSince[ns.Id] = _attachSeq;
        _out.DisableAllocation(ns);
        init.Group.IgnoreSigchld = true;
        var victims = new List<(int Nr, TaskRecord Task)>();
        foreach (var t in _byId.Values)
        {
            var nr = t.Pid.NrIn(ns);
            if (nr >= 2)
            {
                victims.Add((nr, t));
            }
        }
        victims.Sort((a, b) => a.Nr.CompareTo(b.Nr));
        foreach (var (_, t) in victims)
        {
            if (!t.Group.FatalPending && t.ExitState == ExitState.Running)
            {
                KillGroup(t.Group, except: null);
            }
        }
        foreach (var thread in init.Group.Members)
        {
            foreach (var c in thread.Children.ToArray())
            {
                if (Reapable(c))
                {
                    c.ExitState = ExitState.Dead;
                    Release(c, null);
                }
            }
        }
        init.ZapWaiting = true;
        _out.WaitForCount(ns, init.IsLeader ? 1 : 2, init);
    }

    private void FinishExit(TaskRecord t, TaskRecord reaper)
    {
        // forget_original_parent()
        if (t.Children.Count > 0)
        {
            var newParent = FindNewReaper(t, reaper);
            var moved = t.Children.ToArray();
            t.ClearChildren();
            foreach (var c in moved)
            {
                c.Group.RealParent = newParent;
                newParent.AddChild(c);
            }
            if (!ReferenceEquals(newParent.Group, t.Group))
            {
                // reparent_leader(): a zombie that can be reaped is announced to its new parent.
                foreach (var c in moved)
                {
                    if (Reapable(c) && NotifyParent(c))
                    {
                        c.ExitState = ExitState.Dead;
                        Release(c, null);
                    }
                }
            }
        }
        // exit_notify(): "tsk->exit_state = EXIT_ZOMBIE" before do_notify_parent(), so that a wait the notification
        // wakes finds the zombie. A leader is announced once its group is empty; other threads reap themselves.
        t.ExitState = ExitState.Zombie;
        var autoreap = !t.IsLeader || (t.Group.Empty && NotifyParent(t));
        if (autoreap)
        {
            t.ExitState = ExitState.Dead;
            Release(t, null);
        }
        else if (_freePidAtExit && _byId.ContainsKey(t.Id))
        {
            // The deliberate bug: a zombie gives its numbers back although it still holds them.
            t.NumbersFreed = true;
            _out.FreeNumbers(t);
        }
    }

    private TaskRecord FindNewReaper(TaskRecord father, TaskRecord childReaper)
    {
        var thread = FindAliveThread(father);
        if (thread is not null)
        {
            return thread;
        }
        if (father.Group.HasChildSubreaper)
        {
            // "Find the first ->is_child_subreaper ancestor in our pid_ns": stop when the ancestor's pid level differs.
            // The walk ends at the scenario's init, whose parent is outside the model (Linux: &init_task).
            for (var r = father.Group.RealParent; r is not null && r.Pid.Level == father.Pid.Level; r = r.Group.RealParent)
            {
                if (!r.Group.IsChildSubreaper)
                {
                    continue;
                }
                var alive = FindAliveThread(r);
                if (alive is not null)
                {
                    return alive;
                }
            }
        }
        return childReaper;
    }

    private static TaskRecord? FindAliveThread(TaskRecord t)
    {
        for (var i = 0; i < t.Group.MemberCount; i++)
        {
            var m = t.Group.Member(i);
            if (m.Alive)
            {
                return m;
            }
        }
        return null;
    }

    private static bool Reapable(TaskRecord c) => c.IsLeader && c.ExitState == ExitState.Zombie && c.Group.Empty;

    /// <summary>do_notify_parent(): true when the parent ignores SIGCHLD, so the child is reaped at once; otherwise
    /// the parent's blocked waits are woken.</summary>
    private bool NotifyParent(TaskRecord child)
    {
        var parent = child.Group.RealParent;
        if (parent is null)
        {
            return false; // the parent is outside the scenario
        }
        if (parent.Group.IgnoreSigchld)
        {
            return true;
        }
        // __wake_up_parent(): the waiters run when this tasklist_lock hold ends (WakeWaiters at the end of the step),
        // so that they see the whole step's outcome (e.g. a parent that exits, and the zombies it reparents).
        if (!_toWake.Contains(parent.Group))
        {
            _toWake.Add(parent.Group);
        }
        return false;
    }

    private void Release(TaskRecord p, WaitCompletion? completion)
    {
        // release_task(): __exit_signal() -> __unhash_process() -> detach_pid() -> free_pid().
        _byId.Remove(p.Id);
        foreach (var u in p.Pid.Numbers)
        {
            _byNr.Remove((u.Ns.Id, u.Nr));
        }
        p.Group.RemoveMember(p);
        if (p.IsLeader)
        {
            p.Group.RealParent?.RemoveChild(p);
        }
        CancelWaits(p, dead: true);
        _out.Release(p, completion);
        if (!p.IsLeader)
        {
            // "If we are the last non-leader member of the thread group, and the leader is zombie, then notify the
            // group leader's parent process."
            var leader = p.Group.Leader;
            if (leader.ExitState == ExitState.Zombie && leader.Group.Empty && NotifyParent(leader))
            {
                leader.ExitState = ExitState.Dead;
                Release(leader, null);
            }
        }
    }

    private void KillGroup(ThreadGroup g, TaskRecord? except)
    {
        g.FatalPending = true;
        foreach (var m in g.Members)
        {
            if (!ReferenceEquals(m, except) && m.Alive)
            {
                CancelWaits(m, dead: true);
                _out.KillThread(m);
            }
        }
    }

    private void CancelWaits(TaskRecord t, bool dead)
    {
        for (var i = _waits.Count - 1; i >= 0; i--)
        {
            if (ReferenceEquals(_waits[i].Waiter, t))
            {
                var w = _waits[i];
                _waits.RemoveAt(i);
                _out.CompleteWait(new WaitCompletion(w.Waiter, w.Corr, new WaitResult(-1, Errno.None, dead)));
            }
        }
    }

    /// <summary>Every parked wait of a notified group runs do_wait() again, in the order they parked: one reaps,
    /// another may find nothing left (ECHILD) or go back to sleep. Reaping may notify further groups.</summary>
    private void WakeWaiters()
    {
        while (_toWake.Count > 0)
        {
            var g = _toWake[0];
            _toWake.RemoveAt(0);
            foreach (var w in _waits.Where(w => ReferenceEquals(w.Waiter.Group, g)).ToArray())
            {
                if (!_waits.Contains(w))
                {
                    continue;
                }
                var done = TryWait(w);
                if (done is not null)
                {
                    _waits.Remove(w);
                    if (done.Result.Value <= 0)
                    {
                        _out.CompleteWait(done);
                    }
                }
            }
        }
    }

    private WaitCompletion? TryWait(PendingWait w)
    {
        // do_wait(): the children of every thread of the group, starting with the waiter's own (while_each_thread).
        var ns = w.Waiter.Pid.Ns;
        if (w.Selector < -1 && (_init is null || _init.Pid.NrIn(ns) != -w.Selector))
        {
            // wait4(-pgrp): find_get_pid(-upid) finds no process group there, so no child is eligible. (0 and the one
            // group every task is in, init's, select any child, as -1 does.)
            return new WaitCompletion(w.Waiter, w.Corr, new WaitResult(-1, Errno.ECHILD, false));
        }
        var group = w.Waiter.Group;
        var start = group.IndexOfMember(w.Waiter);
        var eligible = false;
        for (var k = 0; k < group.MemberCount; k++)
        {
            var thread = group.Member((start + k) % group.MemberCount);
            var children = thread.Children;
            for (var i = 0; i < children.Count; i++)
            {
                var c = children[i];
                var nr = c.Pid.NrIn(ns);
                if (w.Selector > 0 && nr != w.Selector)
                {
                    continue;
                }
                eligible = true;
                if (Reapable(c))
                {
                    c.ExitState = ExitState.Dead;
                    var completion = new WaitCompletion(w.Waiter, w.Corr, new WaitResult(nr, Errno.None, false));
                    Release(c, completion);
                    return completion;
                }
            }
        }
        if (!eligible)
        {
            return new WaitCompletion(w.Waiter, w.Corr, new WaitResult(-1, Errno.ECHILD, false));
        }
        return w.NoHang ? new WaitCompletion(w.Waiter, w.Corr, new WaitResult(0, Errno.None, false)) : null;
    }

    private static void PushChildren(ThreadGroup g, Stack<TaskRecord> stack)
    {
        for (var k = 0; k < g.MemberCount; k++)
        {
            var m = g.Member(k);
            for (var i = m.Children.Count - 1; i >= 0; i--)
            {
                stack.Push(m.Children[i]);
            }
        }
    }

    private void RequireLive(TaskRecord t)
    {
        if (!_byId.ContainsKey(t.Id))
        {
            throw new InvariantViolationException($"{t} is not in the task list");
        }
    }

    private sealed record PendingWait(TaskRecord Waiter, long Corr, int Selector, bool NoHang);
}
