using System.Collections.Immutable;

namespace Actors.Kernel.Pid;

/// <summary>One number of a <see cref="Pid"/>: the number <see cref="Nr"/> in namespace <see cref="Ns"/>.</summary>
/// <remarks>Linux: <c>struct upid</c> (include/linux/pid.h).</remarks>
public readonly record struct UPid(int Nr, NsHandle Ns);

/// <summary>A process identifier with one number per namespace level, from the root (index 0) to its own level.</summary>
/// <remarks>
/// Linux: <c>struct pid</c> (include/linux/pid.h); <c>numbers[0]</c> is the outermost (root) namespace and
/// <c>numbers[level]</c> the innermost, the namespace the pid was allocated in. A task's active pid namespace is
/// <c>ns_of_pid(task_pid(t))</c> = <see cref="Ns"/> (kernel/pid.c:task_active_pid_ns()): it comes from the pid, never
/// from the nsproxy, so it stays valid while the task is a zombie (the 2007 "remove nsproxy->pid_ns" series).
/// Immutable. Not modelled: pidfds and the pid's use as PGID/SID (every scenario task inherits a session and process
/// group from outside the scenario, as on Linux under <c>actors conform</c>).
/// </remarks>
public sealed class Pid
{
    public Pid(long id, ImmutableArray<UPid> numbers)
    {
        Id = id;
        Numbers = numbers;
    }

    /// <summary>Unique identity of this pid object within its kernel (never reused).</summary>
    public long Id { get; }

    /// <summary>Numbers from the root level (index 0) to <see cref="Level"/>.</summary>
    public ImmutableArray<UPid> Numbers { get; }

    /// <summary>Level of the namespace the pid was allocated in.</summary>
    public int Level => Numbers.Length - 1;

    /// <summary>The innermost namespace: the active pid namespace of the task that owns this pid.</summary>
    public NsHandle Ns => Numbers[^1].Ns;

    /// <summary>kernel/pid.c:pid_nr_ns(): the number in <paramref name="ns"/>, or 0 when not visible there.</summary>
    public int NrIn(NsHandle ns)
    {
        if (ns.Level > Level)
        {
            return 0;
        }
        var upid = Numbers[ns.Level];
        return ReferenceEquals(upid.Ns, ns) ? upid.Nr : 0;
    }

    /// <summary>The numbers seen from <paramref name="from"/> down to the pid's level (the NSpid line of /proc).</summary>
    public IEnumerable<int> NumbersFrom(NsHandle from)
    {
        if (NrIn(from) == 0)
        {
            yield break;
        }
        for (var i = from.Level; i <= Level; i++)
        {
            yield return Numbers[i].Nr;
        }
    }

    public override string ToString() => string.Join("/", Numbers.Select(u => $"{u.Nr}@ns{u.Ns.Id}"));
}
