namespace Actors.Kernel.Specifications;

/// <summary>The model's global invariants, over the state of every actor of one kernel.</summary>
/// <remarks>
/// In the TLA+ allocator's style, the properties checked:
/// <list type="bullet">
/// <item>Uniqueness: a number is held by at most one pid per namespace (each pid map, and the task list's index).</item>
/// <item>Ancestor visibility: a pid visible in a namespace is visible, as the same pid, in every ancestor namespace.</item>
/// <item>Lifetime: a namespace outlives every pid allocated in it (no destroyed namespace holds numbers or tasks).</item>
/// <item>No leaks (at quiescence only): the numbers taken in the pid maps are exactly the numbers of the live and
/// zombie tasks, all visible; nothing is left reserved.</item>
/// <item>The task list's own invariants: mutual parent/child links; no task joins a namespace after its init died.</item>
/// </list>
/// Call <see cref="CheckStep"/> between any two steps and <see cref="CheckQuiescent"/> when no message is in flight.
/// Both throw <see cref="InvariantViolationException"/>.
/// </remarks>
public static class KernelInvariants
{
    /// <summary>Invariants that hold after every step, even with protocols in flight.</summary>
    public static void CheckStep(KernelView view)
    {
        foreach (var ns in view.Namespaces)
        {
            ns.CheckInvariants();
        }
        foreach (var map in view.PidMaps)
        {
            map.CheckInvariants();
        }
        CheckAncestorVisibility(view);
        view.Tasks?.CheckInvariants();
        if (view.Cgroups is { } cgroups)
        {
            cgroups.CheckInvariants();
            foreach (var cg in cgroups.AllCgroups())
            {
                foreach (var css in view.CssOf(cg.Id)?.Values ?? [])
                {
                    css.CheckInvariants();
                }
            }
        }
    }

    /// <summary>What one step of the actor labelled <paramref name="actor"/> can have broken of <see cref="CheckStep"/>:
    /// cheaper than <see cref="CheckStep"/> and, between two full checks, as strong.</summary>
    /// <remarks>
    /// <para>Every property <see cref="CheckStep"/> checks is a function of state owned by one actor (a state class:
    /// a namespace's children, a pid map, the task list, the cgroup core, one cgroup's css) plus two kinds of shared
    /// data: the pid maps seen together (ancestor visibility) and the namespaces' reference counts, which any actor
    /// changes with get_pid_ns/put_pid_ns. A step changes only its own actor's state and reference counts, so after it
    /// this checks the stepped actor's state, ancestor visibility when a pid map or namespace stepped, and the lifetime
    /// property on every pid map (no destroyed namespace holds a number; the task list's own check that no task is in
    /// a destroyed namespace follows from it, since a task's numbers stay taken until it is released).</para>
    /// <para><paramref name="actor"/> is the controller's label (the actor path below <c>/user</c>); the kernel's actor
    /// names (<c>tasks</c>, <c>tasks/t7</c>, <c>ns1</c>, <c>ns1/pidmap</c>, <c>ipc0</c>, <c>cgroups</c>, <c>cgroups/cg3</c>) say
    /// whose state it is. A label of no known shape (the kernel actor itself, an actor of a user's own) gets the full
    /// <see cref="CheckStep"/>. The explorer still runs the full <see cref="CheckQuiescent"/> at every quiescence.</para>
    /// </remarks>
    public static void CheckAfterStep(KernelView view, string actor)
    {
        ArgumentNullException.ThrowIfNull(view);
        var (kind, id) = OwnerOf(actor);
        switch (kind)
        {
            case StateOwner.TaskList:
                view.Tasks?.CheckInvariants();
                break;
            case StateOwner.PidMap:
                foreach (var map in view.PidMaps)
                {
                    if (map.Ns.Id == id)
                    {
                        map.CheckInvariants();
                    }
                }
                CheckAncestorVisibility(view);
                break;
            case StateOwner.Namespace:
                foreach (var ns in view.Namespaces)
                {
                    if (ns.Handle.Id == id)
                    {
                        ns.CheckInvariants();
                    }
                }
                CheckAncestorVisibility(view);
                break;
            case StateOwner.CgroupCore:
                view.Cgroups?.CheckInvariants();
                break;
            case StateOwner.Cgroup:
                foreach (var css in view.CssOf(id)?.Values ?? [])
                {
                    css.CheckInvariants();
                }
                break;
            case StateOwner.Task or StateOwner.Ipc or StateOwner.Driver:
                break; // no state CheckStep reads, except reference counts (below)
            default:
                CheckStep(view);
                return;
        }
        foreach (var map in view.PidMaps)
        {
            map.CheckLifetime();
        }
    }

    /// <summary>Whose state the actor labelled <paramref name="actor"/> owns, by the kernel's actor names (see
    /// <see cref="CheckAfterStep"/>), and the id in its name (a namespace's for <c>ns1</c> and <c>ns1/pidmap</c>, a
    /// task's, an IPC namespace's, a cgroup's; 0 otherwise).</summary>
    public static (StateOwner Kind, int Id) OwnerOf(string actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var label = actor.AsSpan();
        var slash = label.LastIndexOf('/');
        var name = label[(slash + 1)..];
        var parent = slash < 0 ? [] : label[..slash];
        parent = parent[(parent.LastIndexOf('/') + 1)..];
        if (name is "tasks")
        {
            return (StateOwner.TaskList, 0);
        }
        if (name is "pidmap" && Id(parent, "ns") is { } map)
        {
            return (StateOwner.PidMap, map);
        }
        if (name is "cgroups")
        {
            return (StateOwner.CgroupCore, 0);
        }
        if (name is "driver" or "host")
        {
            return (StateOwner.Driver, 0);
        }
        if (Id(name, "ns") is { } ns)
        {
            return (StateOwner.Namespace, ns);
        }
        if (Id(name, "cg") is { } cg && parent is "cgroups")
        {
            return (StateOwner.Cgroup, cg);
        }
        if (Id(name, "t") is { } task && parent is "tasks")
        {
            return (StateOwner.Task, task);
        }
        return Id(name, "ipc") is { } ipc ? (StateOwner.Ipc, ipc) : (StateOwner.Unknown, 0);

        static int? Id(ReadOnlySpan<char> name, string prefix) =>
            name.StartsWith(prefix, StringComparison.Ordinal) &&
            int.TryParse(name[prefix.Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
                ? id
                : null;
    }

    private static void CheckAncestorVisibility(KernelView view)
    {
        foreach (var map in view.PidMaps)
        {
            map.CheckVisibleInAncestors(view.PidMapLookup);
        }
    }

    /// <summary>Invariants that hold when the kernel is quiescent: <see cref="CheckStep"/> plus no leaked numbers.</summary>
    public static void CheckQuiescent(KernelView view)
    {
        CheckStep(view);
        foreach (var ns in view.Namespaces)
        {
            if (ns.Handle.Destroyed)
            {
                throw new InvariantViolationException($"{ns.Handle} was destroyed but its actor still runs");
            }
            foreach (var child in ns.Children)
            {
                if (child.Destroyed)
                {
                    throw new InvariantViolationException($"{ns.Handle} still lists destroyed child {child}");
                }
            }
        }
        var tasks = view.Tasks;
        if (tasks is null)
        {
            return;
        }
        if (view.Cgroups is { } cgroups)
        {
            CheckCgroupsQuiescent(view, cgroups, tasks);
        }
        var held = new HashSet<(int Ns, int Nr)>();
        foreach (var t in tasks.Tasks.Values)
        {
            foreach (var u in t.Pid.Numbers)
            {
                held.Add((u.Ns.Id, u.Nr));
            }
        }
        var taken = 0;
        foreach (var map in view.PidMaps)
        {
            foreach (var nr in map.TakenNumbers)
            {
                taken++;
                if (!held.Contains((map.Ns.Id, nr)))
                {
                    throw new InvariantViolationException($"number {nr} in {map.Ns} is taken but no task holds it (leak)");
                }
                if (map.Find(nr) is null)
                {
                    throw new InvariantViolationException($"number {nr} in {map.Ns} is still only reserved at quiescence");
                }
            }
        }
        if (taken != held.Count)
        {
            throw new InvariantViolationException($"tasks hold {held.Count} numbers but the pid maps have {taken} taken");
        }
    }

    /// <summary>At quiescence: no fork holds or waits for the cgroup locks; the core knows exactly the task list's tasks;
    /// every charging css (pids) holds one charge per unreleased task at or below its cgroup (a fork is charged where it
    /// is linked, a migration moved its charge, a reap uncharged it).</summary>
    private static void CheckCgroupsQuiescent(KernelView view, Cgroups.CgroupCore cgroups, Tasks.TaskList tasks)
    {
        if (cgroups.Readers != 0 || cgroups.Deferred != 0)
        {
            throw new InvariantViolationException($"cgroup locks at quiescence: {cgroups.Readers} fork(s) hold the rwsem, {cgroups.Deferred} request(s) wait");
        }
        var known = cgroups.TaskIds.ToList();
        var listed = tasks.Tasks.Keys.Order().ToList();
        if (!known.SequenceEqual(listed))
        {
            throw new InvariantViolationException(
                $"the cgroup core knows tasks [{string.Join(' ', known)}] but the task list has [{string.Join(' ', listed)}]");
        }
        foreach (var cg in cgroups.AllCgroups())
        {
            var below = Cgroups.CgroupCore.TasksBelow(cg);
            foreach (var (name, css) in view.CssOf(cg.Id) ?? new Dictionary<string, Cgroups.Css>())
            {
                if (cg.Hierarchy.Subsystems.First(s => s.Name == name).ChargesTasks && css.Charged != below)
                {
                    throw new InvariantViolationException($"cgroup {cg}: {name} charges {css.Charged} task(s) but {below} are linked at or below it");
                }
            }
        }
    }
}

/// <summary>Whose state an actor owns, for <see cref="KernelInvariants.CheckAfterStep"/>.</summary>
public enum StateOwner
{
    /// <summary>No kernel actor of known shape (the kernel actor itself, a user's own actor): check everything.</summary>
    Unknown,

    /// <summary>The task list (<c>tasks</c>).</summary>
    TaskList,

    /// <summary>A pid namespace's pid map (<c>nsN/pidmap</c>).</summary>
    PidMap,

    /// <summary>A pid namespace (<c>nsN</c>).</summary>
    Namespace,

    /// <summary>The cgroup core (<c>cgroups</c>).</summary>
    CgroupCore,

    /// <summary>One cgroup's controller states (<c>cgroups/cgN</c>).</summary>
    Cgroup,

    /// <summary>A task (<c>tasks/tN</c>).</summary>
    Task,

    /// <summary>An IPC namespace (<c>ipcN</c>).</summary>
    Ipc,

    /// <summary>The scenario driver or the controlled host: no kernel state.</summary>
    Driver,
}
