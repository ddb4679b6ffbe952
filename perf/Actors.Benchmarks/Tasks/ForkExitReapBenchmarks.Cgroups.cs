using System.Globalization;
using Actors.Kernel;
using Actors.Kernel.Tasks;
using BenchmarkDotNet.Attributes;

namespace Actors.Benchmarks.Tasks;

/// <summary>The cgroup side of <see cref="ForkExitReapBenchmarks"/>: which kernel config the cycles run on, the pids
/// cgroup the parents are moved into, and the checks that the setup is what it claims to be.</summary>
public partial class ForkExitReapBenchmarks
{
    /// <summary>The scenario's cgroup of the pids hierarchy (the level below the hidden root): every task starts in
    /// it, and every fork below it is charged there.</summary>
    public const string PidsTop = "/sys/fs/cgroup/pids";

    /// <summary>The cgroup <see cref="CgroupSetup.Limited"/> moves the parents into.</summary>
    public const string PidsBench = PidsTop + "/bench";

    /// <summary>pids.max of <see cref="PidsBench"/>: far above what the parents reach (at most 2 x
    /// <see cref="Parents"/>: each parent and its one child), so no fork is refused, but every one is checked against
    /// it.</summary>
    public const long PidsLimit = 100_000;

    /// <summary>Where the cycles' forks meet the cgroup core (<see cref="CgroupSetup"/>). Default: the reference
    /// config's (on).</summary>
    [Params(CgroupSetup.Off, CgroupSetup.On, CgroupSetup.Limited)]
    public CgroupSetup Cgroups { get; set; } = CgroupSetup.On;

    /// <summary>The HOCON the kernel boots with for <see cref="Cgroups"/>.</summary>
    private string CgroupHocon => Cgroups == CgroupSetup.Off ? "actors.cgroup.enabled = off" : "actors.cgroup.enabled = on";

    private static CultureInfo Inv => CultureInfo.InvariantCulture;

    /// <summary>Run by GlobalSetup once the parents are forked: with <see cref="CgroupSetup.Limited"/>, the kernel's
    /// init makes <see cref="PidsBench"/> and sets its pids.max, then each parent writes "0" to its cgroup.procs
    /// (moves itself). Every reply is checked, then what the files say (<see cref="AssertCgroups"/>).</summary>
    private void SetUpCgroups()
    {
        var root = _kernel.Init!;
        switch (Cgroups)
        {
            case CgroupSetup.Off:
                // No cgroup core: cgroupfs is not there.
                var r = _kernel.Call(root, new Calls.Read(PidsTop + "/pids.current"));
                if (_kernel.Context.Settings.Cgroup.Enabled || r.Errno != Errno.ENOENT)
                {
                    throw new InvalidOperationException($"cgroups should be off, but read {PidsTop}/pids.current returned {r}");
                }
                return;
            case CgroupSetup.Limited:
                _kernel.Expect0(root, new Calls.Mkdir(PidsBench));
                _kernel.Expect0(root, new Calls.Write(PidsBench + "/pids.max", PidsLimit.ToString(Inv)));
                foreach (var parent in _parents)
                {
                    _kernel.Expect0(parent, new Calls.Write(PidsBench + "/cgroup.procs", "0"));
                }
                break;
        }
        if (!_kernel.Context.Settings.Cgroup.Enabled)
        {
            throw new InvalidOperationException($"{Cgroups}: the kernel booted without cgroups");
        }
        AssertCgroups(cycled: false);
    }

    /// <summary>What the pids files say, read by the first parent (in the innermost pid namespace): the scenario's
    /// cgroup charges every fixed task (hierarchically) and holds, as processes, the innermost init (1) and, with
    /// <see cref="CgroupSetup.On"/>, the parents; with <see cref="CgroupSetup.Limited"/>, <see cref="PidsBench"/> holds
    /// exactly the parents, charges them, has pids.max <see cref="PidsLimit"/> and refused no fork. After cycles
    /// (<paramref name="cycled"/>), pids.peak shows that the children were charged where their parents are (above the
    /// parents' count) and that <see cref="PidsBench"/> never came near its limit (at most 2 x parents).</summary>
    private void AssertCgroups(bool cycled)
    {
        if (Cgroups == CgroupSetup.Off)
        {
            return;
        }
        var reader = _parents[0];
        var parentNrs = _parents.Select(p => p.Pid.Numbers[^1].Nr).Order().ToList();
        string Lines(IEnumerable<int> nrs) => string.Concat(nrs.Select(n => n.ToString(Inv) + "\n"));
        void Expect(string path, string expected)
        {
            var text = _kernel.Read(reader, path);
            if (text != expected)
            {
                throw new InvalidOperationException($"{Cgroups}: {path} reads '{text.TrimEnd()}', expected '{expected.TrimEnd()}'");
            }
        }
        void ExpectPeak(string path, long above, long atMost)
        {
            var text = _kernel.Read(reader, path);
            if (!long.TryParse(text, NumberStyles.Integer, Inv, out var peak) || peak <= above || peak > atMost)
            {
                throw new InvalidOperationException($"{Cgroups}: {path} reads '{text.TrimEnd()}', expected above {above}, at most {atMost}");
            }
        }

        Expect(PidsTop + "/pids.current", _fixedTasks.ToString(Inv) + "\n");
        Expect(PidsTop + "/pids.events", "max 0\n");
        Expect(PidsTop + "/cgroup.procs", Lines(Cgroups == CgroupSetup.On ? [1, .. parentNrs] : [1]));
        if (cycled)
        {
            ExpectPeak(PidsTop + "/pids.peak", _fixedTasks, _fixedTasks + Parents);
        }
        if (Cgroups == CgroupSetup.Limited)
        {
            Expect(PidsBench + "/pids.max", PidsLimit.ToString(Inv) + "\n");
            Expect(PidsBench + "/pids.current", Parents.ToString(Inv) + "\n");
            Expect(PidsBench + "/pids.events", "max 0\n");
            Expect(PidsBench + "/cgroup.procs", Lines(parentNrs));
            if (cycled)
            {
                ExpectPeak(PidsBench + "/pids.peak", Parents, 2 * Parents);
            }
        }
    }
}

/// <summary>Where a fork/exit/reap cycle's forks meet the cgroup core.</summary>
public enum CgroupSetup
{
    /// <summary><c>actors.cgroup.enabled = off</c>: no cgroup core; fork, exit and reap skip it (the baseline).</summary>
    Off,

    /// <summary>The reference config (on; v1 hierarchies pids, cpu, cpuset, memory, freezer, and unified): every task
    /// stays in the scenario's cgroups; a fork takes the rwsem, is charged at one pids level (the scenario's cgroup)
    /// and is linked; an exit and a reap go through the core.</summary>
    On,

    /// <summary>On, and the parents are moved into <see cref="ForkExitReapBenchmarks.PidsBench"/> with pids.max
    /// <see cref="ForkExitReapBenchmarks.PidsLimit"/>: a fork is charged, and checked against the limit, at two pids
    /// levels (that cgroup, then the scenario's).</summary>
    Limited,
}
