using Actors.Kernel.Pid;
using KernelPid = Actors.Kernel.Pid.Pid;

namespace Actors.Kernel.Tests.Pid;

/// <summary>Builders for <see cref="PidMap"/> tests: fake namespaces (no actors) and hand-made pids.</summary>
internal static class PidMapSupport
{
    private static long s_pidIds = 1000;
    private static int s_nsIds = 100;

    /// <summary>A namespace handle at <paramref name="level"/> (with fake ancestors), holding plenty of references.</summary>
    public static NsHandle Ns(int level = 0)
    {
        NsHandle? ns = null;
        for (var l = 0; l <= level; l++)
        {
            ns = new NsHandle(Interlocked.Increment(ref s_nsIds), l, ns, initialRefs: 10);
        }
        return ns!;
    }

    /// <summary>A fresh map of a namespace at <paramref name="level"/>: cursor 0, PIDNS_ADDING, no child reaper.</summary>
    public static PidMap NewMap(int pidMax = 32768, int level = 0) => new(Ns(level), pidMax);

    /// <summary>A pid whose number in <paramref name="ns"/> (its innermost level) is <paramref name="nr"/>; the outer
    /// levels get arbitrary numbers (a <see cref="PidMap"/> only looks at its own level).</summary>
    public static KernelPid PidAt(NsHandle ns, int nr)
    {
        var numbers = new UPid[ns.Level + 1];
        for (var l = 0; l <= ns.Level; l++)
        {
            numbers[l] = new UPid(l == ns.Level ? nr : 10_000 + nr, ns.AtLevel(l));
        }
        return new KernelPid(Interlocked.Increment(ref s_pidIds), [.. numbers]);
    }

    /// <summary>alloc_pid() for a single level: reserve (cyclic or requested) and make visible. Fails the test on an errno.</summary>
    public static int Alloc(PidMap map, int? requested = null)
    {
        var errno = map.Reserve(requested, out var nr);
        if (errno != Errno.None)
        {
            throw new Xunit.Sdk.XunitException($"reserve {requested?.ToString() ?? "cyclic"} failed {errno}");
        }
        var commit = map.Commit(nr, PidAt(map.Ns, nr), innermost: true);
        if (commit != Errno.None)
        {
            throw new Xunit.Sdk.XunitException($"commit {nr} failed {commit}");
        }
        map.CheckInvariants();
        return nr;
    }

    /// <summary>Allocates <paramref name="count"/> numbers cyclically and returns them.</summary>
    public static int[] AllocMany(PidMap map, int count)
    {
        var got = new int[count];
        for (var i = 0; i < count; i++)
        {
            got[i] = Alloc(map);
        }
        return got;
    }

    /// <summary>Makes every number in [<paramref name="from"/>, <paramref name="to"/>) visible by request (the map
    /// must have a child reaper unless the range is just 1).</summary>
    public static void Fill(PidMap map, int from, int to)
    {
        for (var nr = from; nr < to; nr++)
        {
            Alloc(map, nr);
        }
    }
}
