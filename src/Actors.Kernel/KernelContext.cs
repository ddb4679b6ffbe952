using Actors.Kernel.Ipc;
using Actors.Kernel.Pid;
using Akka.Actor;
using Actors.Kernel.Tasks;

namespace Actors.Kernel;

/// <summary>What the actors of one kernel share: settings, id counters, and a read-only view for checkers.</summary>
/// <remarks>
/// The counters stand for the kernel's global serials (they never reach a decision that could differ between
/// schedules except through the order the schedule itself imposes). The <see cref="View"/> is for observers only
/// (invariant checks, the scenario runner, audits): model actors register their state there but never read another
/// actor's state through it. Reading the view is safe when the kernel is quiescent or runs on the controlled
/// dispatcher between steps.
/// </remarks>
public sealed class KernelContext
{
    private int _nextNsId;
    private int _nextTaskId;
    private long _nextPidId;
    private int _pidNamespaces;

    public KernelContext(KernelSettings settings)
    {
        Settings = settings;
    }

    public KernelSettings Settings { get; }

    public KernelView View { get; } = new();

    /// <summary>Exceptions thrown by model actors: each one is a model bug (expected failures are errno replies).</summary>
    public IReadOnlyList<Exception> Failures
    {
        get { lock (_failures) { return [.. _failures]; } }
    }

    private readonly List<Exception> _failures = [];

    /// <summary>Supervision of every model actor: record the exception as a bug and stop the actor (a restart would
    /// silently lose kernel state).</summary>
    public SupervisorStrategy Supervision() => new OneForOneStrategy(ex =>
    {
        lock (_failures)
        {
            _failures.Add(ex);
        }
        return Directive.Stop;
    });

    public int NewNsId() => Interlocked.Increment(ref _nextNsId) - 1;

    public int NewTaskId() => Interlocked.Increment(ref _nextTaskId);

    public long NewPidId() => Interlocked.Increment(ref _nextPidId);

    /// <summary>inc_pid_namespaces(): false when max-pid-namespaces are in use.</summary>
    public bool TryCountNamespace()
    {
        if (Interlocked.Increment(ref _pidNamespaces) > Settings.MaxPidNamespaces)
        {
            Interlocked.Decrement(ref _pidNamespaces);
            return false;
        }
        return true;
    }

    /// <summary>dec_pid_namespaces().</summary>
    public void UncountNamespace() => Interlocked.Decrement(ref _pidNamespaces);
}

/// <summary>Registry of one kernel's state objects, for observers. Ordered by id so iteration is deterministic.</summary>
public sealed class KernelView
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<int, PidNamespace> _namespaces = [];
    private readonly SortedDictionary<int, PidMap> _pidMaps = [];
    private readonly SortedDictionary<int, (IpcNsHandle Handle, IpcNamespaceState State)> _ipc = [];

    /// <summary>The task list (tasklist_lock domain), once the kernel booted.</summary>
    public TaskList? Tasks { get; internal set; }

    /// <summary>The kernel actor (it creates IPC namespaces).</summary>
    public IActorRef Kernel { get; internal set; } = ActorRefs.Nobody;

    /// <summary>The task list's actor (observers use it to interrupt a blocked wait).</summary>
    public IActorRef TaskListActor { get; internal set; } = ActorRefs.Nobody;

    /// <summary>The cgroup core (null when cgroups are off).</summary>
    public Cgroups.CgroupCore? Cgroups { get; internal set; }

    /// <summary>The cgroup core's actor (Nobody when cgroups are off).</summary>
    public IActorRef CgroupCoreActor { get; internal set; } = ActorRefs.Nobody;

    /// <summary>The css states of the cgroup with id <paramref name="cgroupId"/> (null when it has no actor).</summary>
    public IReadOnlyDictionary<string, Cgroups.Css>? CssOf(int cgroupId)
    {
        lock (_lock) { return _css.GetValueOrDefault(cgroupId); }
    }

    internal void Register(int cgroupId, IReadOnlyDictionary<string, Cgroups.Css> css)
    {
        lock (_lock) { _css[cgroupId] = css; }
    }

    internal void UnregisterCgroup(int cgroupId)
    {
        lock (_lock) { _css.Remove(cgroupId); }
    }

    private readonly SortedDictionary<int, IReadOnlyDictionary<string, Cgroups.Css>> _css = [];

    /// <summary>The initial namespace.</summary>
    public NsHandle? RootNs { get; internal set; }

    // Snapshots of the two registries in id order, rebuilt on the first read after a change: the explorer reads them
    // after every controlled step, and they change only when a namespace is created or destroyed.
    private PidNamespace[]? _namespaceList;
    private PidMap[]? _pidMapList;

    /// <summary>Live pid namespaces in id order (a snapshot: later changes do not show in it).</summary>
    public IReadOnlyList<PidNamespace> Namespaces
    {
        get { lock (_lock) { return _namespaceList ??= [.. _namespaces.Values]; } }
    }

    /// <summary>Live pid maps in namespace id order (a snapshot: later changes do not show in it).</summary>
    public IReadOnlyList<PidMap> PidMaps
    {
        get { lock (_lock) { return _pidMapList ??= [.. _pidMaps.Values]; } }
    }

    /// <summary>Live IPC namespaces, by id.</summary>
    public IReadOnlyList<(IpcNsHandle Handle, IpcNamespaceState State)> IpcNamespaces
    {
        get { lock (_lock) { return [.. _ipc.Values]; } }
    }

    /// <summary><see cref="PidMapOf"/> as a delegate, allocated once.</summary>
    public Func<NsHandle, PidMap?> PidMapLookup => _pidMapLookup ??= PidMapOf;

    private Func<NsHandle, PidMap?>? _pidMapLookup;

    /// <summary>The pid map of <paramref name="ns"/>, or null once the namespace was destroyed.</summary>
    public PidMap? PidMapOf(NsHandle ns)
    {
        lock (_lock) { return _pidMaps.GetValueOrDefault(ns.Id); }
    }

    internal void Register(PidNamespace ns, PidMap map)
    {
        lock (_lock)
        {
            _namespaces.Add(ns.Handle.Id, ns);
            _pidMaps.Add(ns.Handle.Id, map);
            _namespaceList = null;
            _pidMapList = null;
        }
    }

    internal void Register(IpcNsHandle handle, IpcNamespaceState state)
    {
        lock (_lock) { _ipc.Add(handle.Id, (handle, state)); }
    }

    internal void Unregister(IpcNsHandle handle)
    {
        lock (_lock) { _ipc.Remove(handle.Id); }
    }

    internal void Unregister(NsHandle ns)
    {
        lock (_lock)
        {
            _namespaces.Remove(ns.Id);
            _pidMaps.Remove(ns.Id);
            _namespaceList = null;
            _pidMapList = null;
        }
    }
}
