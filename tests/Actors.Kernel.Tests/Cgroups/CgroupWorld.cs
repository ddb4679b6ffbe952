using System.Globalization;
using Actors.Kernel.Cgroups;
using Actors.Kernel.Pid;
using Akka.Actor;
using Akka.Util;
using Xunit;
using KernelPid = Actors.Kernel.Pid.Pid;

namespace Actors.Kernel.Tests.Cgroups;

/// <summary>A stand-in for a cgroup actor's reference: only its identity matters (fork tickets name the css levels
/// to charge by actor).</summary>
internal sealed class CgroupRef(int cgroupId) : IActorRef
{
    public int CgroupId { get; } = cgroupId;

    public ActorPath Path { get; } = new RootActorPath(Address.AllSystems) / "cgroups" / $"cg{cgroupId}";

    public void Tell(object message, IActorRef sender) => throw new InvalidOperationException("the core must not tell a cgroup actor anything itself");

    public bool Equals(IActorRef? other) => other is CgroupRef r && r.CgroupId == CgroupId;

    public int CompareTo(IActorRef? other) => other is CgroupRef r ? CgroupId.CompareTo(r.CgroupId) : 1;

    public int CompareTo(object? obj) => CompareTo(obj as IActorRef);

    public ISurrogate ToSurrogate(ActorSystem system) => throw new NotSupportedException();

    public override bool Equals(object? obj) => Equals(obj as IActorRef);

    public override int GetHashCode() => CgroupId;

    public override string ToString() => Path.ToString();
}

/// <summary>An <see cref="ICgroupOutbox"/> that records every effect as a line (<c>create pids:/a [pids]</c>,
/// <c>stop pids:/a</c>, <c>adjust pids:/a pids +1</c>, <c>enable unified:/a pids 2</c>, <c>disable unified:/a pids</c>)
/// and plays the cgroup actors' part: it keeps their css states, so tests read pids.current as the actors would.</summary>
internal sealed class RecordingCgroupOutbox : ICgroupOutbox
{
    private readonly List<string> _effects = [];
    private readonly Dictionary<int, SortedDictionary<string, Css>> _css = [];
    private readonly Dictionary<int, Cgroup> _live = [];

    /// <summary>Effects since the last <see cref="Take"/>.</summary>
    public string[] Take()
    {
        var all = _effects.ToArray();
        _effects.Clear();
        return all;
    }

    /// <summary>Effects since the last <see cref="Take"/>, without clearing them.</summary>
    public IReadOnlyList<string> Pending => _effects;

    /// <summary>The css states of a cgroup whose actor was created and not stopped.</summary>
    public IReadOnlyDictionary<string, Css> CssOf(Cgroup cg) => _css.TryGetValue(cg.Id, out var css)
        ? css
        : throw new Xunit.Sdk.XunitException($"{cg} has no actor");

    public IReadOnlyDictionary<string, Css> CssOf(IActorRef actor) => actor is CgroupRef r && _css.TryGetValue(r.CgroupId, out var css)
        ? css
        : throw new Xunit.Sdk.XunitException($"{actor} is not a live cgroup actor");

    public Cgroup CgroupOf(IActorRef actor) => _live[((CgroupRef)actor).CgroupId];

    public bool HasActor(Cgroup cg) => _css.ContainsKey(cg.Id);

    public IEnumerable<Cgroup> LiveActors => _live.Values;

    public void CreateActor(Cgroup cgroup, IReadOnlyList<CgroupSubsystem> subsystems)
    {
        Assert.False(_css.ContainsKey(cgroup.Id), $"{cgroup}: actor created twice");
        _effects.Add($"create {cgroup} [{string.Join(' ', subsystems.Select(s => s.Name))}]");
        cgroup.Actor = new CgroupRef(cgroup.Id);
        _css[cgroup.Id] = new SortedDictionary<string, Css>(subsystems.ToDictionary(s => s.Name, s => s.Create(cgroup.Hierarchy.OnDefault)), StringComparer.Ordinal);
        _live[cgroup.Id] = cgroup;
    }

    public void StopActor(Cgroup cgroup)
    {
        _effects.Add($"stop {cgroup}");
        Assert.True(_css.Remove(cgroup.Id), $"{cgroup}: stopped without an actor");
        _live.Remove(cgroup.Id);
    }

    public void Adjust(Cgroup cgroup, CgroupSubsystem subsystem, long delta)
    {
        _effects.Add($"adjust {cgroup} {subsystem.Name} {delta.ToString("+0;-0", CultureInfo.InvariantCulture)}");
        CssOf(cgroup)[subsystem.Name].Adjust(delta);
    }

    public void EnableCss(Cgroup cgroup, CgroupSubsystem subsystem, long tasks)
    {
        _effects.Add($"enable {cgroup} {subsystem.Name} {tasks}");
        var css = subsystem.Create(cgroup.Hierarchy.OnDefault);
        css.Adjust(tasks);
        _css[cgroup.Id].Add(subsystem.Name, css);
    }

    public void DisableCss(Cgroup cgroup, CgroupSubsystem subsystem)
    {
        _effects.Add($"disable {cgroup} {subsystem.Name}");
        Assert.True(_css[cgroup.Id].Remove(subsystem.Name));
    }
}

/// <summary>A <see cref="CgroupCore"/> with a recording outbox, the controllers of reference.conf, a hand-made root pid
/// namespace (ns0) and tasks numbered as their ids (init is task 1, pid 1). Every helper checks the core's and the
/// css states' invariants after the step, and file operations go where the core actor would send them (the core, or
/// the css of the controller that owns the file).</summary>
internal sealed class CgroupWorld
{
    private readonly Dictionary<int, KernelPid> _pids = [];
    private readonly Dictionary<int, int> _leaders = [];
    private int _nextTask = 1;
    private int _nextNs = 1;
    private long _nextPidId;

    /// <param name="v1">The v1 hierarchies (default: pids only).</param>
    /// <param name="v2">The controllers the unified scenario cgroup gets.</param>
    /// <param name="releaseAgent">release_agent of the v1 hierarchies.</param>
    /// <param name="forkUnlocked">The deliberately broken model (forks without the rwsem).</param>
    public CgroupWorld(string[]? v1 = null, string[]? v2 = null, string releaseAgent = "", bool forkUnlocked = false)
    {
        Subsystems = CgroupSettings.From(KernelConfig.Default()).Subsystems;
        Out = new RecordingCgroupOutbox();
        Core = new CgroupCore(Out, Subsystems, v1 ?? ["pids"], v2 ?? [], releaseAgent, forkUnlocked);
        Root = new NsHandle(0, 0, null, initialRefs: 100);
        _pids[Init] = NewPid(Init, Root);
        _leaders[Init] = Init;
        Core.Boot(Init, _pids[Init]);
        Check();
    }

    /// <summary>Task id (and root pid number) of init.</summary>
    public const int Init = 1;

    public IReadOnlyList<CgroupSubsystem> Subsystems { get; }

    public RecordingCgroupOutbox Out { get; }

    public CgroupCore Core { get; }

    public NsHandle Root { get; }

    public CgroupHierarchy H(string name) => Core.Hierarchy(name) ?? throw new Xunit.Sdk.XunitException($"no hierarchy {name}");

    public KernelPid PidOf(int task) => _pids[task];

    /// <summary>A child namespace of <paramref name="parent"/> (its tasks get a number at each level).</summary>
    public NsHandle NewNs(NsHandle parent) => new(_nextNs++, parent.Level + 1, parent, initialRefs: 100);

    /// <summary>A whole fork as the actors run it, without the rwsem queue: can_fork (admitted as a reader), each css
    /// level charged in order (on a refusal the lower levels are reverted and the fork fails EAGAIN), post_fork. Returns
    /// the child's task id, or -1 when refused.</summary>
    public int Fork(int parent, bool thread = false, NsHandle? ns = null)
    {
        Assert.True(Core.Admit(CgroupLockUse.Reader), "a fork must be admitted (no migration waits)");
        var ticket = Core.CanFork(parent);
        for (var i = 0; i < ticket.Chain.Length; i++)
        {
            var level = ticket.Chain[i];
            if (!Out.CssOf(level.Actor)[level.Subsystem].TryCharge())
            {
                for (var j = i - 1; j >= 0; j--)
                {
                    Out.CssOf(ticket.Chain[j].Actor)[ticket.Chain[j].Subsystem].Adjust(-1);
                }
                Core.ReleaseReader(ticket);
                Check();
                return -1;
            }
        }
        var child = PostFork(ticket, parent, thread, ns);
        Core.ReleaseReader(ticket);
        Check();
        return child;
    }

    /// <summary>post_fork of a ticket whose charges are in place: the child's numbers and leader, then the link.</summary>
    public int PostFork(ForkTicket ticket, int parent, bool thread = false, NsHandle? ns = null)
    {
        var id = ++_nextTask;
        var pid = NewPid(id, ns ?? _pids[parent].Ns);
        _pids[id] = pid;
        var leader = thread ? _leaders[parent] : id;
        _leaders[id] = leader;
        Core.PostFork(ticket, id, pid, leader, _pids[leader]);
        return id;
    }

    /// <summary>A fork that must succeed.</summary>
    public int Spawn(int parent, bool thread = false, NsHandle? ns = null)
    {
        var child = Fork(parent, thread, ns);
        Assert.True(child > 0, $"fork of {parent} refused");
        return child;
    }

    public void Exit(int task)
    {
        Core.Exit(task);
        Check();
    }

    public void Release(int task)
    {
        Core.Release(task);
        Check();
    }

    /// <summary>Exit and release (a reaped task).</summary>
    public void Reap(int task)
    {
        Exit(task);
        Release(task);
    }

    public Errno Mkdir(string path)
    {
        var e = Core.Mkdir(Path(path));
        Check();
        return e;
    }

    public Errno Rmdir(string path)
    {
        var e = Core.Rmdir(Path(path));
        Check();
        return e;
    }

    /// <summary>mkdir that must succeed.</summary>
    public Cgroup Dir(string path)
    {
        Assert.Equal(Errno.None, Mkdir(path));
        return Cg(path);
    }

    /// <summary>The cgroup a directory path names.</summary>
    public Cgroup Cg(string path)
    {
        var (dir, file, errno) = Core.Resolve(Path(path));
        Assert.Equal(Errno.None, errno);
        Assert.Null(file);
        return dir!;
    }

    /// <summary>A read by a task whose active namespace is <paramref name="ns"/> (default: the root namespace).</summary>
    public (string? Text, Errno Errno) Read(string path, NsHandle? ns = null)
    {
        var (dir, file, errno) = Core.Resolve(Path(path));
        if (errno != Errno.None)
        {
            return (null, errno);
        }
        if (file is null)
        {
            return (null, Errno.EISDIR);
        }
        var r = CgroupCore.FileOwner(dir!, file) is { } owner
            ? Out.CssOf(dir!)[owner.Name].Read(file)
            : Core.ReadFile(dir!, file, ns ?? Root);
        Check();
        return r;
    }

    /// <summary>The text of a read that must succeed.</summary>
    public string Text(string path, NsHandle? ns = null)
    {
        var (text, errno) = Read(path, ns);
        Assert.Equal(Errno.None, errno);
        return text!;
    }

    /// <summary>A write as task <paramref name="writer"/> (init by default) whose active namespace is
    /// <paramref name="ns"/> (the root by default).</summary>
    public Errno Write(string path, string value, int writer = Init, NsHandle? ns = null)
    {
        var (dir, file, errno) = Core.Resolve(Path(path));
        if (errno != Errno.None)
        {
            return errno;
        }
        if (file is null)
        {
            return Errno.EISDIR;
        }
        var e = CgroupCore.FileOwner(dir!, file) is { } owner
            ? Out.CssOf(dir!)[owner.Name].Write(file, value)
            : Core.WriteFile(dir!, file, value, writer, ns ?? Root);
        Check();
        return e;
    }

    /// <summary>pids.current of a cgroup, as a number.</summary>
    public long PidsCurrent(string dir) => long.Parse(Text(dir + "/pids.current").TrimEnd('\n'), CultureInfo.InvariantCulture);

    /// <summary>The core's and every live css's invariants.</summary>
    public void Check()
    {
        Core.CheckInvariants();
        foreach (var cg in Out.LiveActors)
        {
            foreach (var css in Out.CssOf(cg).Values)
            {
                css.CheckInvariants();
            }
        }
    }

    /// <summary>The quiescent charge invariant of <see cref="Specifications.KernelInvariants"/>: each charging css
    /// holds one charge per unreleased task at or below its cgroup.</summary>
    public void CheckCharges()
    {
        foreach (var cg in Core.AllCgroups())
        {
            foreach (var (name, css) in Out.CssOf(cg))
            {
                if (name == "pids")
                {
                    Assert.True(CgroupCore.TasksBelow(cg) == css.Charged, $"{cg}: {css.Charged} charged, {CgroupCore.TasksBelow(cg)} linked");
                }
            }
        }
    }

    public static CgroupPath Path(string path) => CgroupPath.Parse(path.StartsWith('/') ? path : CgroupPath.Prefix + path)
        ?? throw new Xunit.Sdk.XunitException($"not a cgroupfs path: {path}");

    private KernelPid NewPid(int id, NsHandle ns)
    {
        // Root number = task id; inner levels count from 1 per namespace.
        var numbers = new UPid[ns.Level + 1];
        numbers[0] = new UPid(id, ns.AtLevel(0));
        for (var level = 1; level <= ns.Level; level++)
        {
            var at = ns.AtLevel(level);
            numbers[level] = new UPid(_pids.Values.Count(p => p.Level >= level && ReferenceEquals(p.Numbers[level].Ns, at)) + 1, at);
        }
        return new KernelPid(++_nextPidId, [.. numbers]);
    }
}
