using System.Globalization;
using System.Text;

namespace Actors.Conform.Tests;

/// <summary>Watches what one conform run creates on this machine, to prove that nothing stays behind: the processes
/// descended from the helper (or from an <c>actors</c> process) and the pid, IPC and mount namespaces they live in that
/// are not the test's own; the helpers' scratch cgroups (native/README.md, "Cgroups"); plus the host's SysV IPC
/// objects.</summary>
internal sealed class ProcessWatch
{
    private static readonly string[] NsTypes = ["pid", "ipc", "mnt"];
    private static readonly string[] CgroupMounts = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified"];
    private readonly HashSet<string> _cgroups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _ours = NsTypes.ToDictionary(t => t, t => NsLink(Environment.ProcessId, t) ?? "");
    private readonly HashSet<(int Pid, long Start)> _processes = [];
    private readonly HashSet<string> _namespaces = new(StringComparer.Ordinal);

    /// <summary>The host's SysV IPC objects (this IPC namespace's), as /proc/sysvipc lists them.</summary>
    public static string HostIpc() =>
        string.Concat(new[] { "msg", "sem", "shm" }.Select(t => File.ReadAllText($"/proc/sysvipc/{t}")));

    /// <summary>Processes seen so far and namespaces seen so far (not the test's own).</summary>
    public int ProcessCount => _processes.Count;

    public int NamespaceCount => _namespaces.Count;

    /// <summary>Scratch cgroups seen so far.</summary>
    public int CgroupCount => _cgroups.Count;

    /// <summary>Records every descendant of <paramref name="root"/> (not itself) and their namespaces.</summary>
    public void Observe(int root)
    {
        ObserveCgroups(root);
        foreach (var p in Descendants(root))
        {
            ObserveCgroups(p.Pid);
            _processes.Add((p.Pid, p.Start));
            foreach (var t in NsTypes)
            {
                if (NsLink(p.Pid, t) is { } ns && ns != _ours[t])
                {
                    _namespaces.Add(ns);
                }
            }
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> until no watched process exists (zombies included), no
    /// process holds a watched namespace and no scratch cgroup seen is left. Returns what is left, or null.</summary>
    public string? Leftovers(TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = _cgroups.Where(Directory.Exists).Select(d => $"cgroup {d}").ToList();
            foreach (var p in All())
            {
                if (_processes.Contains((p.Pid, p.Start)))
                {
                    left.Add($"process {p.Pid} ({p.Comm}, state {p.State})");
                    continue;
                }
                foreach (var t in NsTypes)
                {
                    if (NsLink(p.Pid, t) is { } ns && _namespaces.Contains(ns))
                    {
                        left.Add($"{ns} held by {p.Pid} ({p.Comm})");
                    }
                }
            }
            if (left.Count == 0)
            {
                return null;
            }
            if (DateTime.UtcNow > until)
            {
                return string.Join("; ", left);
            }
            Thread.Sleep(50);
        }
    }

    /// <summary>Processes whose pid namespace is not the test's own (the count): those in a watched one.</summary>
    public int ProcessesInWatchedNamespaces() =>
        All().Count(p => NsLink(p.Pid, "pid") is { } ns && ns != _ours["pid"] && _namespaces.Contains(ns));

    public static IEnumerable<Proc> Descendants(int root)
    {
        var all = All().ToList();
        var children = all.ToLookup(p => p.PPid);
        var stack = new Stack<int>([root]);
        while (stack.Count > 0)
        {
            foreach (var c in children[stack.Pop()])
            {
                yield return c;
                stack.Push(c.Pid);
            }
        }
    }

    /// <summary>Records the scratch cgroups a helper with pid <paramref name="pid"/> made.</summary>
    private void ObserveCgroups(int pid)
    {
        foreach (var m in CgroupMounts)
        {
            var dir = $"{m}/actors-conform-{pid.ToString(CultureInfo.InvariantCulture)}";
            if (Directory.Exists(dir))
            {
                _cgroups.Add(dir);
            }
        }
    }

    internal sealed record Proc(int Pid, int PPid, long Start, char State, string Comm);

    private static IEnumerable<Proc> All()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"), Encoding.UTF8);
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            if (open < 0 || close < open)
            {
                continue;
            }
            // after ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime
            // cstime priority nice num_threads itrealvalue starttime
            var f = stat[(close + 2)..].Split(' ');
            yield return new Proc(pid, int.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[19], CultureInfo.InvariantCulture),
                f[0][0], stat[(open + 1)..close]);
        }
    }

    private static string? NsLink(int pid, string type)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/{type}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
