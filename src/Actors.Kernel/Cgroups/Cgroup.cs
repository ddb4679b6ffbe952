using Actors.Kernel.Pid;
using Akka.Actor;

namespace Actors.Kernel.Cgroups;

/// <summary>One hierarchy (Linux <c>struct cgroup_root</c>): v1 with its bound controllers, or the v2 unified one with
/// the controllers no v1 hierarchy took.</summary>
public sealed class CgroupHierarchy
{
    internal CgroupHierarchy(int index, string name, bool onDefault, IReadOnlyList<CgroupSubsystem> subsystems, Cgroup root)
    {
        Index = index;
        Name = name;
        OnDefault = onDefault;
        Subsystems = subsystems;
        Root = root;
    }

    /// <summary>Position in <see cref="CgroupCore.Hierarchies"/> (and in every task's cgroup array).</summary>
    public int Index { get; }

    /// <summary>The mount's name under /sys/fs/cgroup: the controller of a v1 hierarchy, <c>unified</c> for v2.</summary>
    public string Name { get; }

    /// <summary>The v2 (default, unified) hierarchy.</summary>
    public bool OnDefault { get; }

    /// <summary>v1: the bound controllers; v2: the controllers available to it.</summary>
    public IReadOnlyList<CgroupSubsystem> Subsystems { get; }

    /// <summary>The hierarchy's root: never shown to scenarios, never charged.</summary>
    public Cgroup Root { get; }

    /// <summary>The scenario's cgroup, <c>/sys/fs/cgroup/NAME</c>: the root's only child at boot.</summary>
    public Cgroup Top { get; internal set; } = null!;

    /// <summary>v1: the root's release_agent ("" for none).</summary>
    public string ReleaseAgent { get; internal set; } = "";

    /// <summary>v1: the release-agent calls the kernel would have made, in order: argv[1], the cgroup's path relative
    /// to <see cref="Top"/>.</summary>
    public List<string> ReleaseAgentCalls { get; } = [];
}

/// <summary>One cgroup (Linux <c>struct cgroup</c>) as the core keeps it: its place in the tree, its core files and
/// its tasks. The controllers' state (css) belongs to the cgroup's <see cref="CgroupActor"/>.</summary>
public sealed class Cgroup
{
    internal Cgroup(int id, CgroupHierarchy? hierarchy, Cgroup? parent, string name)
    {
        Id = id;
        Hierarchy = hierarchy!;
        Parent = parent;
        Name = name;
        Level = parent is null ? 0 : parent.Level + 1;
    }

    public int Id { get; }

    public CgroupHierarchy Hierarchy { get; internal set; }

    public Cgroup? Parent { get; }

    public string Name { get; }

    public int Level { get; }

    /// <summary>Online children by name (ordinal order, so listings and walks are deterministic).</summary>
    public SortedDictionary<string, Cgroup> Children { get; } = new(StringComparer.Ordinal);

    /// <summary>False once removed (rmdir); it lingers while dying tasks or dying children refer to it.</summary>
    public bool Online { get; internal set; } = true;

    /// <summary>The actor that owns this cgroup's css states (none for a hierarchy's root).</summary>
    public IActorRef Actor { get; internal set; } = ActorRefs.Nobody;

    /// <summary>The css_sets that have this cgroup in its hierarchy (cgrp_cset_links), in the order they were made:
    /// the tasks linked here are theirs. <see cref="CgroupCore.TasksOf"/> lists them in the order they joined.</summary>
    internal List<CssSet> Sets { get; } = [];

    /// <summary>Tasks linked here, including exited ones not yet released.</summary>
    public int TaskCount { get; internal set; }

    /// <summary>Linked tasks that have not run cgroup_exit (nr_tasks of the cgroup's css_sets).</summary>
    public int LiveTasks { get; internal set; }

    /// <summary>Removed children still referenced by dying tasks (or by dying children of their own), in removal order.</summary>
    internal List<Cgroup> Dying { get; } = [];

    // v1 flags
    public bool NotifyOnRelease { get; internal set; }
    public bool CloneChildren { get; internal set; }

    // v2 core state
    public SortedSet<CgroupSubsystem> SubtreeControl { get; } = new(Comparer<CgroupSubsystem>.Create(
        (a, b) => a.Order != b.Order ? a.Order.CompareTo(b.Order) : string.CompareOrdinal(a.Name, b.Name)));

    public int MaxDescendants { get; internal set; } = int.MaxValue;

    public int MaxDepth { get; internal set; } = int.MaxValue;

    /// <summary>Online descendants (nr_descendants).</summary>
    public int NrDescendants { get; internal set; }

    /// <summary>cgroup_is_populated(): a task of this cgroup or of a descendant has not run cgroup_exit.</summary>
    public bool Populated => LiveTasks > 0 || Children.Values.Any(c => c.Populated);

    /// <summary>Path below the scenario's cgroup: "/" for it, "/a/b" below.</summary>
    public string ScenarioPath
    {
        get
        {
            var parts = new List<string>();
            for (var c = this; c is not null && c != Hierarchy.Top; c = c.Parent)
            {
                parts.Add(c.Name);
            }
            parts.Reverse();
            return "/" + string.Join('/', parts);
        }
    }

    /// <summary>The controllers that have a css in this cgroup: v1 all of the hierarchy's; v2 those the parent's
    /// subtree_control enables (the root has them all).</summary>
    public IEnumerable<CgroupSubsystem> CssSubsystems => Parent is null || !Hierarchy.OnDefault
        ? Hierarchy.Subsystems
        : Parent.SubtreeControl;

    public bool HasCss(CgroupSubsystem ss) => Parent is null || !Hierarchy.OnDefault || Parent.SubtreeControl.Contains(ss);

    public override string ToString() => $"{Hierarchy?.Name}:{(Parent is null ? "(root)" : ScenarioPath)}";
}

/// <summary>A css_set (Linux <c>struct css_set</c>): one cgroup per hierarchy, shared by every task that is in exactly
/// those cgroups, and those tasks in the order they joined it (its cg_list heads).</summary>
/// <remarks>Shared so that a task costs one list link whatever the number of hierarchies (a fork joins its parent's
/// set); made when a migration needs a new combination, dropped when its last task is released. Owned by the
/// <see cref="CgroupCore"/>; not thread-safe.</remarks>
internal sealed class CssSet(Cgroup[] cgroups)
{
    /// <summary>The cgroup of each hierarchy, by <see cref="CgroupHierarchy.Index"/>. Never changed.</summary>
    public Cgroup[] Cgroups { get; } = cgroups;

    /// <summary>The first and last task of the set's list (linked through <see cref="CgroupTask.Prev"/> and
    /// <see cref="CgroupTask.Next"/>).</summary>
    public CgroupTask? First { get; set; }

    public CgroupTask? Last { get; set; }

    /// <summary>Tasks in the list.</summary>
    public int Count { get; set; }

    /// <summary>The tasks, in list order.</summary>
    public IEnumerable<CgroupTask> Tasks
    {
        get
        {
            for (var t = First; t is not null; t = t.Next)
            {
                yield return t;
            }
        }
    }

    public void Append(CgroupTask t)
    {
        t.Set = this;
        t.Prev = Last;
        t.Next = null;
        if (Last is null)
        {
            First = t;
        }
        else
        {
            Last.Next = t;
        }
        Last = t;
        Count++;
    }

    public void Remove(CgroupTask t)
    {
        if (t.Prev is null)
        {
            First = t.Next;
        }
        else
        {
            t.Prev.Next = t.Next;
        }
        if (t.Next is null)
        {
            Last = t.Prev;
        }
        else
        {
            t.Next.Prev = t.Prev;
        }
        t.Prev = null;
        t.Next = null;
        Count--;
    }

    public override string ToString() => $"css_set({string.Join(", ", Cgroups.Select(c => c.ToString()))})";
}

/// <summary>What the core knows of a task: identity, numbers, its css_set (its cgroup in every hierarchy) and when it
/// joined each of those cgroups.</summary>
internal sealed class CgroupTask(int id, Pid.Pid pid, int leaderId, Pid.Pid leaderPid)
{
    public int Id { get; } = id;
    public Pid.Pid Pid { get; } = pid;
    public int LeaderId { get; } = leaderId;
    public Pid.Pid LeaderPid { get; } = leaderPid;
    public bool IsLeader => Id == LeaderId;

    /// <summary>Its css_set (set when linked, replaced by a migration).</summary>
    public CssSet Set { get; set; } = null!;

    /// <summary>Its cgroup in every hierarchy (the css_set's; never modify).</summary>
    public Cgroup[] Cgroups => Set.Cgroups;

    /// <summary>Neighbours in the css_set's task list.</summary>
    public CgroupTask? Prev { get; set; }

    public CgroupTask? Next { get; set; }

    /// <summary>When it was linked (post_fork), on the core's join clock: its place in every cgroup's listing until a
    /// migration moves it in one hierarchy (then the core keeps its join time per hierarchy).</summary>
    public long Joined { get; set; }

    /// <summary>cgroup_exit() ran (PF_EXITING as far as cgroups care): no longer counted as populated, never moved.</summary>
    public bool Exited { get; set; }

    public int NrIn(NsHandle ns) => Pid.NrIn(ns);
}
