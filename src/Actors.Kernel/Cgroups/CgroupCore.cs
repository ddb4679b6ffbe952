using System.Collections.Immutable;
using System.Text;
using Actors.Kernel.Pid;

namespace Actors.Kernel.Cgroups;

/// <summary>Effects of the core on other actors (the cgroup actors own the css states).</summary>
public interface ICgroupOutbox
{
    /// <summary>cgroup_create(): make the cgroup's actor with a css for each of <paramref name="subsystems"/>.</summary>
    void CreateActor(Cgroup cgroup, IReadOnlyList<CgroupSubsystem> subsystems);

    /// <summary>The cgroup is gone and nothing refers to it any more (css_free).</summary>
    void StopActor(Cgroup cgroup);

    /// <summary>Charge (delta &gt; 0, cannot fail) or uncharge one css of the cgroup.</summary>
    void Adjust(Cgroup cgroup, CgroupSubsystem subsystem, long delta);

    /// <summary>v2: the parent's subtree_control enabled <paramref name="subsystem"/>: a new css charged with the
    /// <paramref name="tasks"/> already below.</summary>
    void EnableCss(Cgroup cgroup, CgroupSubsystem subsystem, long tasks);

    /// <summary>v2: the parent's subtree_control disabled it: the css goes.</summary>
    void DisableCss(Cgroup cgroup, CgroupSubsystem subsystem);
}

/// <summary>What a fork took at cgroup_can_fork(): the parent's cgroups (its css_set) and the css levels to charge,
/// in order: for each charging controller, from the task's css up to the level below the root.</summary>
public sealed record ForkTicket(long Id, int ParentId, ImmutableArray<int> CgroupIds, ImmutableArray<ChargeLevel> Chain, bool Locked);

/// <summary>One css level a fork charges: the cgroup's actor and controller; <c>Slot</c> numbers the charging
/// controllers (levels of one slot are consecutive, innermost first).</summary>
public sealed record ChargeLevel(Akka.Actor.IActorRef Actor, string Subsystem, int Slot, bool OnDefault);

/// <summary>How a request uses cgroup_mutex and cgroup_threadgroup_rwsem.</summary>
public enum CgroupLockUse
{
    /// <summary>Neither (file reads; css file writes).</summary>
    None,
    /// <summary>cgroup_mutex only (mkdir, rmdir, most core file writes): waits while a migration holds the mutex and
    /// waits for forks in flight.</summary>
    Mutex,
    /// <summary>The rwsem for read, from can_fork until post_fork or cancel_fork (a fork).</summary>
    Reader,
    /// <summary>cgroup_mutex and the rwsem for write (a migration: cgroup.procs, tasks, subtree_control).</summary>
    Writer,
}

/// <summary>The cgroup core: hierarchies, the cgroup trees, which cgroup each task is in (css_sets), and the locks that
/// order forks against migrations.</summary>
/// <remarks>
/// Linux: kernel/cgroup/cgroup.c and cgroup-v1.c under <c>cgroup_mutex</c>, <c>css_set_lock</c> and
/// <c>cgroup_threadgroup_rwsem</c>. Every public method is one atomic step of the owning <see cref="CgroupCoreActor"/>.
/// The rwsem spans steps: a fork holds it for read from <see cref="CanFork"/> until <see cref="PostFork"/> or
/// CancelFork (<see cref="ReleaseReader"/>); a migration needs it for write and runs in one step once no fork holds it; while a
/// migration waits, new forks and every cgroup_mutex request wait behind it, in arrival order (percpu_rwsem lets no new
/// reader in once a writer waits; the waiting writer holds cgroup_mutex).
/// Invariants: every task is in exactly one cgroup per hierarchy, a linked cgroup is online or lingering; live-task
/// counts match the lists; the deferred queue is empty or starts with a writer; the reader count is never negative.
/// Owned by one actor; not thread-safe.
/// </remarks>
public sealed class CgroupCore
{
    private readonly ICgroupOutbox _outbox;
    private readonly List<CgroupHierarchy> _hierarchies = [];
    private readonly Dictionary<int, CgroupTask> _tasks = [];
    private readonly Dictionary<(int Ns, int Nr), CgroupTask> _byNumber = [];
    private readonly Dictionary<int, int> _liveThreads = []; // leader id -> threads not exited
    private readonly Dictionary<int, Cgroup> _byId = [];
    private readonly Dictionary<CssSetKey, CssSet> _cssSets = [];
    private readonly Dictionary<CgroupTask, long[]> _joinedIn = []; // migrated tasks: join time per hierarchy
    private readonly Queue<(object Request, CgroupLockUse Use)> _deferred = new();
    private readonly bool _forkUnlocked;
    private int _readers;
    private int _nextId;
    private long _nextTicket;
    private long _joinClock;

    /// <summary>Mounts the hierarchies: one v1 hierarchy per name in <paramref name="v1"/> (each binds the controller of
    /// that name), then the unified one with every other controller of <paramref name="subsystems"/>; the scenario's
    /// unified cgroup gets the controllers in <paramref name="v2Enabled"/>.</summary>
    public CgroupCore(ICgroupOutbox outbox, IReadOnlyList<CgroupSubsystem> subsystems, IReadOnlyList<string> v1,
        IReadOnlyList<string> v2Enabled, string releaseAgent, bool forkUnlocked = false)
    {
        _outbox = outbox;
        _forkUnlocked = forkUnlocked;
        var known = subsystems.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var bound = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in v1)
        {
            if (!known.TryGetValue(name, out var ss))
            {
                throw new ArgumentException($"cgroup v1 hierarchy '{name}': no such controller (known: {string.Join(", ", known.Keys)})");
            }
            if (!bound.Add(name))
            {
                // A controller is bound to at most one hierarchy (mounting it again elsewhere: EBUSY).
                throw new ArgumentException($"cgroup controller '{name}' is bound to two v1 hierarchies");
            }
            Mount(name, onDefault: false, [ss], releaseAgent);
        }
        var free = subsystems.Where(s => !bound.Contains(s.Name)).OrderBy(s => s.Order).ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
        var unified = Mount("unified", onDefault: true, free, "");
        foreach (var name in v2Enabled)
        {
            var ss = free.FirstOrDefault(s => s.Name == name)
                ?? throw new ArgumentException($"cgroup_v2: controller '{name}' is not available on the unified hierarchy");
            unified.Root.SubtreeControl.Add(ss);
        }
    }

    public IReadOnlyList<CgroupHierarchy> Hierarchies => _hierarchies;

    public CgroupHierarchy? Hierarchy(string name) => _hierarchies.FirstOrDefault(h => h.Name == name);

    /// <summary>Forks holding the rwsem for read.</summary>
    public int Readers => _readers;

    /// <summary>Requests waiting for the rwsem or cgroup_mutex.</summary>
    public int Deferred => _deferred.Count;

    /// <summary>The model-only listing of the release-agent calls of hierarchy <paramref name="name"/>: "AGENT PATH"
    /// lines; ENOENT for an unknown or v2 hierarchy.</summary>
    public (string? Text, Errno Errno) ReleaseAgentCalls(string name) => Hierarchy(name) is { OnDefault: false } h
        ? (string.Concat(h.ReleaseAgentCalls.Select(p => $"{h.ReleaseAgent} {p}\n")), Errno.None)
        : (null, Errno.ENOENT);

    /// <summary>Every task the core knows (not yet released), by id.</summary>
    public IEnumerable<int> TaskIds => _tasks.Keys.Order();

    /// <summary>Whether the task is linked (post_fork ran and it is not released).</summary>
    public bool Knows(int taskId) => _tasks.ContainsKey(taskId);

    /// <summary>The cgroup of task <paramref name="taskId"/> in hierarchy <paramref name="h"/>, or null when the task
    /// is not known (released).</summary>
    public Cgroup? CgroupOf(int taskId, CgroupHierarchy h) => _tasks.TryGetValue(taskId, out var t) ? t.Cgroups[h.Index] : null;

    /// <summary>Creates the scenario cgroups' actors (after the core actor exists) and links the first task (init)
    /// into them, charged in every charging css.</summary>
    public void Boot(int initId, Pid.Pid initPid)
    {
        foreach (var h in _hierarchies)
        {
            _outbox.CreateActor(h.Top, [.. h.Top.CssSubsystems]);
        }
        var init = new CgroupTask(initId, initPid, initId, initPid);
        Link(init, FindSet([.. _hierarchies.Select(h => h.Top)]));
        foreach (var h in _hierarchies)
        {
            ChargeChain(init.Cgroups[h.Index], +1);
        }
    }

    // ---------------------------------------------------------------- the rwsem and cgroup_mutex

    /// <summary>Whether a request may run now; a reader admitted here holds the rwsem until it releases it. When false
    /// the caller must <see cref="Defer"/> it.</summary>
    public bool Admit(CgroupLockUse use)
    {
        if (use == CgroupLockUse.None || (use == CgroupLockUse.Reader && _forkUnlocked))
        {
            return true;
        }
        if (_deferred.Count > 0)
        {
            return false;
        }
        switch (use)
        {
            case CgroupLockUse.Reader:
                _readers++;
                return true;
            case CgroupLockUse.Writer:
                return _readers == 0;
            default:
                return true;
        }
    }

    public void Defer(object request, CgroupLockUse use) => _deferred.Enqueue((request, use));

    /// <summary>A fork left the read side (post_fork or cancel_fork).</summary>
    public void ReleaseReader(ForkTicket ticket)
    {
        if (!ticket.Locked)
        {
            return;
        }
        if (_readers <= 0)
        {
            throw new InvariantViolationException("cgroup_threadgroup_rwsem released by a fork that did not hold it");
        }
        _readers--;
    }

    /// <summary>The next deferred request that may run now (a reader is admitted as it is handed out), or null.</summary>
    public object? NextRunnable()
    {
        if (_deferred.Count == 0)
        {
            return null;
        }
        var (request, use) = _deferred.Peek();
        if (use == CgroupLockUse.Writer && _readers > 0)
        {
            return null;
        }
        _deferred.Dequeue();
        if (use == CgroupLockUse.Reader)
        {
            _readers++;
        }
        return request;
    }

    // ---------------------------------------------------------------- fork, exit, release

    /// <summary>cgroup_can_fork() up to the controllers: the parent's css_set and the css levels to charge (the caller
    /// was admitted as a reader, unless the model is broken on purpose).</summary>
    public ForkTicket CanFork(int parentId)
    {
        var parent = Task(parentId);
        var chain = ImmutableArray.CreateBuilder<ChargeLevel>();
        var slot = 0;
        foreach (var h in _hierarchies)
        {
            foreach (var ss in h.Subsystems.Where(s => s.ChargesTasks))
            {
                foreach (var level in ChargeLevels(parent.Cgroups[h.Index], ss))
                {
                    chain.Add(new ChargeLevel(level.Actor, ss.Name, slot, h.OnDefault));
                }
                slot++;
            }
        }
        return new ForkTicket(++_nextTicket, parentId, [.. parent.Cgroups.Select(c => c.Id)], chain.ToImmutable(), Locked: !_forkUnlocked);
    }

    /// <summary>cgroup_post_fork(): the child joins the css_set the fork took (its charges are already there).</summary>
    public void PostFork(ForkTicket ticket, int childId, Pid.Pid childPid, int leaderId, Pid.Pid leaderPid)
    {
        if (_tasks.ContainsKey(childId))
        {
            throw new InvariantViolationException($"task {childId} is linked twice");
        }
        // The deliberate bug (no rwsem): the child joins the parent's cgroups as they are now, which a migration may
        // have changed since the charge. Otherwise the cgroups the fork took: the parent's css_set while the parent is
        // still in it (always, unless the model is broken), else the set of those cgroups.
        var parentSet = _tasks.TryGetValue(ticket.ParentId, out var parent) ? parent.Set : null;
        var set = parentSet is not null && (_forkUnlocked || IsSetOf(parentSet, ticket.CgroupIds))
            ? parentSet
            : FindSet([.. ticket.CgroupIds.Select(id => _byId[id])]);
        Link(new CgroupTask(childId, childPid, leaderId, leaderPid), set);
    }

    /// <summary>cgroup_exit(): the task stops counting as populated (it stays linked, dying, until released).</summary>
    public void Exit(int taskId)
    {
        var t = Task(taskId);
        if (t.Exited)
        {
            throw new InvariantViolationException($"task {taskId} ran cgroup_exit twice");
        }
        var before = PopulatedChains(t);
        t.Exited = true;
        foreach (var cg in t.Cgroups)
        {
            cg.LiveTasks--;
        }
        if (--_liveThreads[t.LeaderId] == 0)
        {
            _liveThreads.Remove(t.LeaderId);
        }
        CheckForRelease(before);
    }

    /// <summary>cgroup_release() from release_task(): the task leaves its cgroups; its charges go (pids_release).</summary>
    public void Release(int taskId)
    {
        var t = Task(taskId);
        if (!t.Exited)
        {
            throw new InvariantViolationException($"task {taskId} released before cgroup_exit");
        }
        _tasks.Remove(taskId);
        foreach (var n in t.Pid.Numbers)
        {
            _byNumber.Remove((n.Ns.Id, n.Nr));
        }
        var cgroups = t.Cgroups;
        Unlink(t);
        _joinedIn.Remove(t);
        foreach (var cg in cgroups)
        {
            cg.TaskCount--;
            ChargeChain(cg, -1);
            ReleaseIfUnused(cg);
        }
    }

    // ---------------------------------------------------------------- files

    /// <summary>Where a cgroupfs path leads: a cgroup directory, or a file of one.</summary>
    public (Cgroup? Dir, string? File, Errno Errno) Resolve(CgroupPath path)
    {
        var h = Hierarchy(path.Hierarchy);
        if (h is null)
        {
            return (null, null, Errno.ENOENT);
        }
        var cg = h.Top;
        if (!cg.Online)
        {
            return (null, null, Errno.ENOENT);
        }
        for (var i = 0; i < path.Components.Length; i++)
        {
            var name = path.Components[i];
            if (cg.Children.TryGetValue(name, out var child))
            {
                cg = child;
                continue;
            }
            if (!FileExists(cg, name))
            {
                return (null, null, Errno.ENOENT);
            }
            return i == path.Components.Length - 1 ? (cg, name, Errno.None) : (null, null, Errno.ENOTDIR);
        }
        return (cg, null, Errno.None);
    }

    /// <summary>The files of <paramref name="cg"/>'s directory that the core itself serves.</summary>
    public static IReadOnlyList<string> CoreFiles(Cgroup cg) => cg.Hierarchy.OnDefault ? s_v2Files : s_v1Files;

    private static readonly IReadOnlyList<string> s_v1Files = ["cgroup.clone_children", "cgroup.procs", "notify_on_release", "tasks"];

    private static readonly IReadOnlyList<string> s_v2Files =
    [
        "cgroup.controllers", "cgroup.events", "cgroup.max.depth", "cgroup.max.descendants", "cgroup.procs",
        "cgroup.subtree_control", "cgroup.threads", "cgroup.type",
    ];

    /// <summary>The controller that serves <paramref name="file"/> in <paramref name="cg"/>, or null for a core
    /// file or none.</summary>
    public static CgroupSubsystem? FileOwner(Cgroup cg, string file) =>
        cg.CssSubsystems.FirstOrDefault(ss => file.StartsWith(ss.Name + ".", StringComparison.Ordinal) && ss.FileNames(cg.Hierarchy.OnDefault).Contains(file));

    public static bool FileExists(Cgroup cg, string name) => CoreFiles(cg).Contains(name) || FileOwner(cg, name) is not null;

    /// <summary>The lock a request on <paramref name="file"/> takes (null file: mkdir/rmdir).</summary>
    public static CgroupLockUse LockFor(CgroupFileOp op, string? file) => op switch
    {
        CgroupFileOp.Mkdir or CgroupFileOp.Rmdir => CgroupLockUse.Mutex,
        CgroupFileOp.Write when file is "cgroup.procs" or "cgroup.threads" or "tasks" or "cgroup.subtree_control" => CgroupLockUse.Writer,
        CgroupFileOp.Write when file is "cgroup.max.descendants" or "cgroup.max.depth" => CgroupLockUse.Mutex,
        _ => CgroupLockUse.None,
    };

    /// <summary>Reads a core file of <paramref name="cg"/> as a task whose active pid namespace is <paramref name="ns"/>.</summary>
    public (string? Text, Errno Errno) ReadFile(Cgroup cg, string file, NsHandle ns)
    {
        switch (file)
        {
            case "tasks":
                // v1 pidlists: sorted, unique, numbers in the reader's namespace, invisible tasks left out.
                return (Lines(TasksOf(cg).Where(t => !t.Exited).Select(t => t.NrIn(ns)).Where(n => n > 0).Distinct().Order()), Errno.None);
            case "cgroup.procs" when !cg.Hierarchy.OnDefault:
                // v1: the tgid of every live task here, so a process is listed wherever one of its threads is.
                return (Lines(TasksOf(cg).Where(t => !t.Exited).Select(t => t.LeaderPid.NrIn(ns)).Where(n => n > 0).Distinct().Order()), Errno.None);
            case "cgroup.procs":
                return (Lines(Procs(cg).Select(t => t.LeaderPid.NrIn(ns))), Errno.None);
            case "cgroup.threads":
                return (Lines(TasksOf(cg).Where(t => !t.Exited).Select(t => t.NrIn(ns))), Errno.None);
            case "notify_on_release":
                return (cg.NotifyOnRelease ? "1\n" : "0\n", Errno.None);
            case "cgroup.clone_children":
                return (cg.CloneChildren ? "1\n" : "0\n", Errno.None);
            case "cgroup.controllers":
                return (Names(cg.Parent!.SubtreeControl), Errno.None);
            case "cgroup.subtree_control":
                return (Names(cg.SubtreeControl), Errno.None);
            case "cgroup.events":
                return ($"populated {(cg.Populated ? 1 : 0)}\nfrozen 0\n", Errno.None);
            case "cgroup.type":
                return ("domain\n", Errno.None);
            case "cgroup.max.descendants":
                return (MaxText(cg.MaxDescendants), Errno.None);
            case "cgroup.max.depth":
                return (MaxText(cg.MaxDepth), Errno.None);
            default:
                return (null, Errno.ENOENT);
        }
    }

    /// <summary>Writes a core file. <paramref name="writer"/> is the writing task (for "0" in procs files) and
    /// <paramref name="ns"/> its active pid namespace.</summary>
    public Errno WriteFile(Cgroup cg, string file, string text, int writer, NsHandle ns)
    {
        switch (file)
        {
            case "tasks":
                return Migrate(cg, text, writer, ns, wholeProcess: false);
            case "cgroup.procs":
                return Migrate(cg, text, writer, ns, wholeProcess: true);
            case "cgroup.threads":
                return Migrate(cg, text, writer, ns, wholeProcess: false);
            case "notify_on_release" or "cgroup.clone_children":
                var e = KernelText.Kstrtoull(text, out var flag);
                if (e != Errno.None)
                {
                    return e;
                }
                if (file == "notify_on_release")
                {
                    cg.NotifyOnRelease = flag != 0;
                }
                else
                {
                    cg.CloneChildren = flag != 0;
                }
                return Errno.None;
            case "cgroup.subtree_control":
                return WriteSubtreeControl(cg, text);
            case "cgroup.max.descendants" or "cgroup.max.depth":
                var buf = KernelText.Strip(text);
                int value;
                if (buf == "max")
                {
                    value = int.MaxValue;
                }
                else
                {
                    var e2 = KernelText.Kstrtoint(buf, out value);
                    if (e2 != Errno.None)
                    {
                        return e2; // kstrtoint's own errno: ERANGE beyond int
                    }
                    if (value < 0)
                    {
                        return Errno.ERANGE;
                    }
                }
                if (file == "cgroup.max.descendants")
                {
                    cg.MaxDescendants = value;
                }
                else
                {
                    cg.MaxDepth = value;
                }
                return Errno.None;
            default:
                return Errno.EINVAL; // a read-only file: no write handler
        }
    }

    /// <summary>mkdir in cgroupfs (VFS lookup, then cgroup_mkdir()).</summary>
    public Errno Mkdir(CgroupPath path)
    {
        if (path.Components.Length == 0)
        {
            return Hierarchy(path.Hierarchy) is null ? Errno.ENOENT : Errno.EEXIST;
        }
        var (parent, file, errno) = Resolve(path with { Components = path.Components[..^1] });
        if (errno != Errno.None)
        {
            return errno;
        }
        if (file is not null)
        {
            return Errno.ENOTDIR;
        }
        var name = path.Components[^1];
        if (parent!.Children.ContainsKey(name) || FileExists(parent, name))
        {
            return Errno.EEXIST;
        }
        if (name.Contains('\n', StringComparison.Ordinal))
        {
            return Errno.EINVAL;
        }
        // cgroup_check_hierarchy_limits()
        var level = 0;
        for (var c = parent; c is not null; c = c.Parent)
        {
            if (c.NrDescendants >= c.MaxDescendants || level >= c.MaxDepth)
            {
                return Errno.EAGAIN;
            }
            level++;
        }
        var cg = new Cgroup(_nextId++, parent.Hierarchy, parent, name)
        {
            NotifyOnRelease = parent.NotifyOnRelease,
            CloneChildren = parent.CloneChildren,
        };
        _byId.Add(cg.Id, cg);
        parent.Children.Add(name, cg);
        for (var c = parent; c is not null; c = c.Parent)
        {
            c.NrDescendants++;
        }
        _outbox.CreateActor(cg, [.. cg.CssSubsystems]);
        return Errno.None;
    }

    /// <summary>rmdir in cgroupfs (cgroup_rmdir() -> cgroup_destroy_locked()).</summary>
    public Errno Rmdir(CgroupPath path)
    {
        var (cg, file, errno) = Resolve(path);
        if (errno != Errno.None)
        {
            return errno;
        }
        if (file is not null)
        {
            return Errno.ENOTDIR;
        }
        if (cg!.Populated || cg.Children.Count > 0)
        {
            return Errno.EBUSY;
        }
        var parent = cg.Parent!;
        cg.Online = false;
        parent.Children.Remove(cg.Name);
        for (var c = parent; c is not null; c = c.Parent)
        {
            c.NrDescendants--;
        }
        if (cg.TaskCount > 0 || cg.Dying.Count > 0)
        {
            parent.Dying.Add(cg);
        }
        else
        {
            Free(cg);
        }
        // cgroup_destroy_locked() -> cgroup1_check_for_release(parent)
        CheckForRelease(parent);
        return Errno.None;
    }

    // ---------------------------------------------------------------- migration

    private Errno Migrate(Cgroup dst, string text, int writer, NsHandle ns, bool wholeProcess)
    {
        // cgroup_procs_write_start(): kstrtoint(strstrip(buf)) and pid >= 0, else EINVAL; 0 is the writer.
        if (KernelText.Kstrtoint(KernelText.Strip(text), out var nr) != Errno.None || nr < 0)
        {
            return Errno.EINVAL;
        }
        CgroupTask? target;
        if (nr == 0)
        {
            target = _tasks.GetValueOrDefault(writer);
        }
        else
        {
            target = _byNumber.GetValueOrDefault((ns.Id, nr));
        }
        if (target is null)
        {
            return Errno.ESRCH;
        }
        var h = dst.Hierarchy;
        // cgroup_attach_permissions(): a v2 thread move needs the same domain (no threaded cgroups in the model).
        if (h.OnDefault && !wholeProcess && target.Cgroups[h.Index] != dst)
        {
            return Errno.EOPNOTSUPP;
        }
        // cgroup_migrate_vet_dst(): v2's no-internal-process rule (the scenario's cgroups are never a root).
        if (h.OnDefault && dst.SubtreeControl.Count > 0 && !CanBeThreadRoot(dst))
        {
            return Errno.EBUSY;
        }
        var moving = wholeProcess
            ? _tasks.Values.Where(t => t.LeaderId == target.LeaderId).OrderBy(t => t.Id).ToList()
            : [target];
        foreach (var t in moving)
        {
            // cgroup_migrate_add_task(): exiting tasks are skipped: a zombie "moves" without error.
            if (t.Exited || t.Cgroups[h.Index] == dst)
            {
                continue;
            }
            var src = t.Cgroups[h.Index];
            var before = PopulatedChain(src);
            // pids_can_attach(): pids_charge(dst) then pids_uncharge(src), each up to the root, never refused (the
            // common ancestors' peak sees the task twice for a moment, as in Linux).
            ChargeChain(dst, +1);
            ChargeChain(src, -1);
            // The task leaves its css_set for the one with dst in this hierarchy, and joins dst last.
            Cgroup[] cgroups = [.. t.Cgroups];
            cgroups[h.Index] = dst;
            if (!_joinedIn.TryGetValue(t, out var joined))
            {
                joined = new long[cgroups.Length];
                Array.Fill(joined, t.Joined);
                _joinedIn.Add(t, joined);
            }
            Unlink(t);
            FindSet(cgroups).Append(t);
            joined[h.Index] = ++_joinClock;
            src.TaskCount--;
            src.LiveTasks--;
            dst.TaskCount++;
            dst.LiveTasks++;
            CheckForRelease(before);
            ReleaseIfUnused(src);
        }
        return Errno.None;
    }

    /// <summary>cgroup_can_be_thread_root() for a non-root cgroup that is not threaded.</summary>
    private static bool CanBeThreadRoot(Cgroup cg) =>
        cg.SubtreeControl.All(ss => ss.Threaded) && !cg.Children.Values.Any(c => c.Populated);

    private Errno WriteSubtreeControl(Cgroup cg, string text)
    {
        var enable = new List<CgroupSubsystem>();
        var disable = new List<CgroupSubsystem>();
        var known = _hierarchies.SelectMany(h => h.Subsystems).ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var tok in KernelText.Strip(text).Split(' '))
        {
            if (tok.Length == 0)
            {
                continue;
            }
            if (!known.TryGetValue(tok[1..], out var ss) || (tok[0] != '+' && tok[0] != '-'))
            {
                return Errno.EINVAL;
            }
            (tok[0] == '+' ? enable : disable).Add(ss);
            (tok[0] == '+' ? disable : enable).Remove(ss);
        }
        if (!cg.Hierarchy.OnDefault)
        {
            return Errno.EINVAL;
        }
        enable.RemoveAll(cg.SubtreeControl.Contains);
        disable.RemoveAll(ss => !cg.SubtreeControl.Contains(ss));
        // cgroup_subtree_control_write() checks controller by controller, in subsystem id order.
        foreach (var ss in enable.Concat(disable).OrderBy(s => s.Order).ThenBy(s => s.Name, StringComparer.Ordinal))
        {
            if (enable.Contains(ss) && !cg.Parent!.SubtreeControl.Contains(ss))
            {
                return Errno.ENOENT;
            }
            if (disable.Contains(ss) && cg.Children.Values.Any(c => c.SubtreeControl.Contains(ss)))
            {
                return Errno.EBUSY;
            }
        }
        // cgroup_vet_subtree_control_enable(): not for a cgroup with tasks of its own, unless only threaded controllers
        // are enabled in one that can be a thread root (kernel-semantics.md 6.4).
        if (enable.Count > 0 && cg.LiveTasks > 0
            && !(enable.All(ss => ss.Threaded) && cg.SubtreeControl.All(ss => ss.Threaded) && !cg.Children.Values.Any(c => c.Populated)))
        {
            return Errno.EBUSY;
        }
        foreach (var ss in enable)
        {
            cg.SubtreeControl.Add(ss);
            foreach (var child in cg.Children.Values)
            {
                _outbox.EnableCss(child, ss, TasksBelow(child));
            }
        }
        foreach (var ss in disable)
        {
            cg.SubtreeControl.Remove(ss);
            foreach (var child in cg.Children.Values)
            {
                _outbox.DisableCss(child, ss);
            }
        }
        return Errno.None;
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>The css levels a task in <paramref name="cg"/> charges for <paramref name="ss"/>: from its effective
    /// css (the nearest cgroup with one) up to the level below the root.</summary>
    private static IEnumerable<Cgroup> ChargeLevels(Cgroup cg, CgroupSubsystem ss)
    {
        for (var c = cg; c.Parent is not null; c = c.Parent)
        {
            if (c.HasCss(ss))
            {
                yield return c;
            }
        }
    }

    private void ChargeChain(Cgroup cg, long delta)
    {
        foreach (var ss in cg.Hierarchy.Subsystems.Where(s => s.ChargesTasks))
        {
            foreach (var level in ChargeLevels(cg, ss))
            {
                _outbox.Adjust(level, ss, delta);
            }
        }
    }

    /// <summary>The number of unreleased tasks at or below <paramref name="cg"/>, removed children included: what a
    /// charging css there holds (the quiescent charge invariant).</summary>
    public static int TasksBelow(Cgroup cg) => cg.TaskCount + cg.Children.Values.Sum(TasksBelow) + cg.Dying.Sum(TasksBelow);

    /// <summary>The tasks linked in <paramref name="cg"/> (exited ones not yet released included), in the order they
    /// joined it: the tasks of its css_sets, by their join time in its hierarchy.</summary>
    internal IEnumerable<CgroupTask> TasksOf(Cgroup cg)
    {
        var h = cg.Hierarchy.Index;
        return cg.Sets.SelectMany(set => set.Tasks).OrderBy(t => _joinedIn.TryGetValue(t, out var joined) ? joined[h] : t.Joined);
    }

    private void Link(CgroupTask t, CssSet set)
    {
        foreach (var cg in set.Cgroups)
        {
            if (!cg.Online && cg.TaskCount == 0)
            {
                throw new InvariantViolationException($"task {t.Id} linked into removed cgroup {cg}");
            }
        }
        _tasks.Add(t.Id, t);
        foreach (var n in t.Pid.Numbers)
        {
            _byNumber[(n.Ns.Id, n.Nr)] = t;
        }
        _liveThreads[t.LeaderId] = _liveThreads.GetValueOrDefault(t.LeaderId) + 1;
        t.Joined = ++_joinClock;
        set.Append(t);
        foreach (var cg in set.Cgroups)
        {
            cg.TaskCount++;
            cg.LiveTasks++;
        }
    }

    /// <summary>Takes the task out of its css_set's list; drops the set when that was its last task (put_css_set()).
    /// The cgroups' counts are the caller's.</summary>
    private void Unlink(CgroupTask t)
    {
        var set = t.Set;
        set.Remove(t);
        if (set.Count == 0)
        {
            _cssSets.Remove(new CssSetKey(set.Cgroups));
            foreach (var cg in set.Cgroups)
            {
                cg.Sets.Remove(set);
            }
        }
    }

    /// <summary>find_css_set(): the css_set of exactly <paramref name="cgroups"/> (one per hierarchy), made and linked
    /// to them if there is none.</summary>
    private CssSet FindSet(Cgroup[] cgroups)
    {
        var key = new CssSetKey(cgroups);
        if (!_cssSets.TryGetValue(key, out var set))
        {
            set = new CssSet(cgroups);
            _cssSets.Add(key, set);
            foreach (var cg in cgroups)
            {
                cg.Sets.Add(set);
            }
        }
        return set;
    }

    private static bool IsSetOf(CssSet set, ImmutableArray<int> cgroupIds)
    {
        if (set.Cgroups.Length != cgroupIds.Length)
        {
            return false;
        }
        for (var i = 0; i < cgroupIds.Length; i++)
        {
            if (set.Cgroups[i].Id != cgroupIds[i])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Leaders shown by cgroup.procs (CSS_TASK_ITER_PROCS): live leaders, and dying leaders whose group still
    /// has a live thread.</summary>
    private IEnumerable<CgroupTask> Procs(Cgroup cg) =>
        TasksOf(cg).Where(t => t.IsLeader && (!t.Exited || _liveThreads.ContainsKey(t.Id)));

    private CgroupTask Task(int id) => _tasks.TryGetValue(id, out var t)
        ? t
        : throw new InvariantViolationException($"task {id} is not known to the cgroup core");

    private CgroupHierarchy Mount(string name, bool onDefault, IReadOnlyList<CgroupSubsystem> subsystems, string releaseAgent)
    {
        var root = new Cgroup(_nextId++, null, null, "");
        var h = new CgroupHierarchy(_hierarchies.Count, name, onDefault, subsystems, root) { ReleaseAgent = releaseAgent };
        root.Hierarchy = h;
        _byId.Add(root.Id, root);
        var top = new Cgroup(_nextId++, h, root, "actors");
        _byId.Add(top.Id, top);
        root.Children.Add(top.Name, top);
        root.NrDescendants = 1;
        h.Top = top;
        _hierarchies.Add(h);
        return h;
    }

    private void ReleaseIfUnused(Cgroup cg)
    {
        if (!cg.Online && cg.TaskCount == 0 && cg.Dying.Count == 0)
        {
            Free(cg);
            if (cg.Parent is { } p && p.Dying.Remove(cg))
            {
                ReleaseIfUnused(p);
            }
        }
    }

    private void Free(Cgroup cg)
    {
        _byId.Remove(cg.Id);
        _outbox.StopActor(cg);
    }

    /// <summary>The populated cgroups from <paramref name="cg"/> up (before a change), for release checks.</summary>
    private static List<Cgroup> PopulatedChain(Cgroup cg)
    {
        var list = new List<Cgroup>();
        for (var c = cg; c.Parent is not null && c.Populated; c = c.Parent)
        {
            list.Add(c);
        }
        return list;
    }

    private static List<Cgroup> PopulatedChains(CgroupTask t) => [.. t.Cgroups.SelectMany(PopulatedChain)];

    /// <summary>cgroup_update_populated() -> cgroup1_check_for_release() on every cgroup that became unpopulated.</summary>
    private void CheckForRelease(List<Cgroup> wasPopulated)
    {
        foreach (var c in wasPopulated)
        {
            if (!c.Populated)
            {
                CheckForRelease(c);
            }
        }
    }

    /// <summary>cgroup1_check_for_release(): v1, notify_on_release, unpopulated, no online children, not removed.</summary>
    private static void CheckForRelease(Cgroup c)
    {
        var h = c.Hierarchy;
        if (h.OnDefault || c.Parent is null || !c.NotifyOnRelease || c.Populated || c.Children.Count > 0 || !c.Online)
        {
            return;
        }
        if (h.ReleaseAgent.Length > 0)
        {
            h.ReleaseAgentCalls.Add(c.ScenarioPath);
        }
    }

    private static string Lines(IEnumerable<int> numbers)
    {
        var sb = new StringBuilder();
        foreach (var n in numbers)
        {
            sb.Append(KernelText.Int(n)).Append('\n');
        }
        return sb.ToString();
    }

    private static string Names(IEnumerable<CgroupSubsystem> subsystems) =>
        subsystems.Any() ? string.Join(' ', subsystems.Select(s => s.Name)) + "\n" : "\n";

    private static string MaxText(int v) => v == int.MaxValue ? "max\n" : KernelText.Int(v) + "\n";

    /// <summary>Checks the core's invariants (throws <see cref="InvariantViolationException"/>).</summary>
    public void CheckInvariants()
    {
        if (_readers < 0)
        {
            throw new InvariantViolationException($"cgroup_threadgroup_rwsem has {_readers} readers");
        }
        if (_deferred.Count > 0 && _deferred.Peek().Use != CgroupLockUse.Writer)
        {
            throw new InvariantViolationException("a request waits for cgroup locks with no migration ahead of it");
        }
        foreach (var h in _hierarchies)
        {
            CheckTree(h.Top);
        }
        var listed = new HashSet<CgroupTask>();
        foreach (var (key, set) in _cssSets)
        {
            if (!key.Equals(new CssSetKey(set.Cgroups)) || set.Cgroups.Length != _hierarchies.Count)
            {
                throw new InvariantViolationException($"{set} is registered under another key or lacks a hierarchy");
            }
            CgroupTask? prev = null;
            var count = 0;
            foreach (var t in set.Tasks)
            {
                if (t.Set != set || t.Prev != prev || !listed.Add(t) || _tasks.GetValueOrDefault(t.Id) != t)
                {
                    throw new InvariantViolationException($"{set}: task {t.Id} is misplaced in its list");
                }
                prev = t;
                count++;
            }
            if (set.Last != prev || set.Count != count || count == 0)
            {
                throw new InvariantViolationException($"{set}: {set.Count} tasks counted, list ends wrong or is empty");
            }
            for (var i = 0; i < set.Cgroups.Length; i++)
            {
                if (set.Cgroups[i].Hierarchy != _hierarchies[i] || !set.Cgroups[i].Sets.Contains(set))
                {
                    throw new InvariantViolationException($"{set} is not linked to its cgroup of {_hierarchies[i].Name}");
                }
            }
        }
        foreach (var t in _tasks.Values)
        {
            if (!listed.Contains(t))
            {
                throw new InvariantViolationException($"task {t.Id} is not listed in its css_set");
            }
        }
        foreach (var t in _joinedIn.Keys)
        {
            if (_tasks.GetValueOrDefault(t.Id) != t)
            {
                throw new InvariantViolationException($"task {t.Id} is released but keeps its join times");
            }
        }
    }

    private void CheckTree(Cgroup cg)
    {
        var tasks = cg.Sets.SelectMany(set => set.Tasks).ToList();
        var live = tasks.Count(t => !t.Exited);
        if (live != cg.LiveTasks)
        {
            throw new InvariantViolationException($"cgroup {cg}: {cg.LiveTasks} live tasks counted, {live} listed");
        }
        if (tasks.Count != cg.TaskCount)
        {
            throw new InvariantViolationException($"cgroup {cg}: {cg.TaskCount} tasks counted, {tasks.Count} listed");
        }
        if (cg.Sets.Any(set => set.Cgroups[cg.Hierarchy.Index] != cg || !_cssSets.ContainsKey(new CssSetKey(set.Cgroups))))
        {
            throw new InvariantViolationException($"cgroup {cg} lists a task that is elsewhere");
        }
        var descendants = 0;
        foreach (var child in cg.Children.Values)
        {
            if (!child.Online || child.Parent != cg)
            {
                throw new InvariantViolationException($"cgroup {child}: removed or misparented but listed under {cg}");
            }
            CheckTree(child);
            descendants += 1 + child.NrDescendants;
        }
        if (descendants != cg.NrDescendants)
        {
            throw new InvariantViolationException($"cgroup {cg}: nr_descendants {cg.NrDescendants}, tree has {descendants}");
        }
    }

    /// <summary>Every online cgroup of every hierarchy below the roots, parents first.</summary>
    public IEnumerable<Cgroup> AllCgroups() => _hierarchies.SelectMany(h => Walk(h.Top));

    private static IEnumerable<Cgroup> Walk(Cgroup cg) => cg.Children.Values.SelectMany(Walk).Prepend(cg);
}

/// <summary>A cgroupfs path as a scenario names it: <c>/sys/fs/cgroup/HIER/COMPONENT...</c>.</summary>
public sealed record CgroupPath(string Hierarchy, string[] Components)
{
    public const string Prefix = "/sys/fs/cgroup/";

    /// <summary>The hierarchy named by the model-only path <c>/actors/cgroup/HIER/release_agent.calls</c>, or null.</summary>
    public static string? ParseReleaseAgentCalls(string path)
    {
        const string suffix = "/release_agent.calls";
        return path.StartsWith(ModelPrefix, StringComparison.Ordinal) && path.EndsWith(suffix, StringComparison.Ordinal)
               && path.Length > ModelPrefix.Length + suffix.Length && !path[ModelPrefix.Length..^suffix.Length].Contains('/', StringComparison.Ordinal)
            ? path[ModelPrefix.Length..^suffix.Length]
            : null;
    }

    /// <summary>The model-only cgroup files (release-agent calls) live below this.</summary>
    public const string ModelPrefix = "/actors/cgroup/";

    /// <summary>A path in cgroupfs: /sys/fs/cgroup itself or anything below it.</summary>
    public static bool InCgroupfs(string path) =>
        path.StartsWith(Prefix[..^1], StringComparison.Ordinal) && (path.Length == Prefix.Length - 1 || path[Prefix.Length - 1] == '/');

    /// <summary>Parses a path under /sys/fs/cgroup/; null for any other path.</summary>
    public static CgroupPath? Parse(string path)
    {
        if (!path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var parts = path[Prefix.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 0 ? null : new CgroupPath(parts[0], parts[1..]);
    }
}

/// <summary>What a task does to a cgroupfs path.</summary>
public enum CgroupFileOp
{
    Read,
    Write,
    Mkdir,
    Rmdir,
}

/// <summary>A css_set's identity for the core's lookup table: its cgroups, compared by reference, one per hierarchy.</summary>
internal readonly struct CssSetKey(Cgroup[] cgroups) : IEquatable<CssSetKey>
{
    private readonly Cgroup[] _cgroups = cgroups;

    public bool Equals(CssSetKey other) => _cgroups.AsSpan().SequenceEqual(other._cgroups);

    public override bool Equals(object? obj) => obj is CssSetKey other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var cg in _cgroups)
        {
            hash.Add(cg.Id);
        }
        return hash.ToHashCode();
    }
}
