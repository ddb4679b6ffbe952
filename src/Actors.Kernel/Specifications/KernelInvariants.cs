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
        var maps = view.PidMaps;
        foreach (var ns in view.Namespaces)
        {
            ns.CheckInvariants();
        }
        foreach (var map in maps)
        {
            map.CheckInvariants();
            foreach (var (nr, pid) in map.Visible)
            {
                for (var level = 0; level < map.Ns.Level; level++)
                {
                    var outer = pid.Numbers[level];
                    var outerMap = view.PidMapOf(outer.Ns)
                        ?? throw new InvariantViolationException($"pid {pid} visible in {map.Ns} as {nr} has a number in destroyed {outer.Ns}");
                    if (!ReferenceEquals(outerMap.Find(outer.Nr), pid))
                    {
                        throw new InvariantViolationException(
                            $"pid {pid} is visible in {map.Ns} as {nr} but not in ancestor {outer.Ns} as {outer.Nr}");
                    }
                }
            }
        }
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
