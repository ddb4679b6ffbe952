using System.Globalization;
using Actors.Kernel.Ipc;
using Actors.Kernel.Pid;
using Akka.Actor;

namespace Actors.Kernel.Tasks;

/// <summary>read/write of the model's files: /proc/sys/kernel sysctls and /proc/PID/status.</summary>
public sealed partial class TaskActor
{
    /// <summary>read, write, mkdir or rmdir of a cgroupfs path: one request to the cgroup core (ENOENT when the
    /// kernel has no cgroups).</summary>
    private void CgroupFile(Cgroups.CgroupFileOp op, string path, string? value)
    {
        if (!_ctx.Settings.Cgroup.Enabled || Cgroups.CgroupPath.Parse(path) is not { } p)
        {
            Finish(SyscallResult.Fail(0, Errno.ENOENT));
            return;
        }
        _ctx.View.CgroupCoreActor.Tell(new Cgroups.CgroupProtocol.File(_call!.Seq, op, p, value, _record.Id, TaskPid.Ns, Self));
    }

    private void StartRead(string path)
    {
        if (path.StartsWith(Cgroups.CgroupPath.Prefix, StringComparison.Ordinal))
        {
            CgroupFile(Cgroups.CgroupFileOp.Read, path, null);
            return;
        }
        if (Cgroups.CgroupPath.ParseReleaseAgentCalls(path) is { } hierarchy)
        {
            if (!_ctx.Settings.Cgroup.Enabled)
            {
                Finish(SyscallResult.Fail(0, Errno.ENOENT));
                return;
            }
            _ctx.View.CgroupCoreActor.Tell(new Cgroups.CgroupProtocol.ReadReleaseAgentCalls(_call!.Seq, hierarchy, Self));
            return;
        }
        switch (ProcPath.Parse(path))
        {
            case ProcPath.Sysctl s:
                // Sysctls of the pid namespace act on the caller's *active* namespace (task_active_pid_ns(current)).
                TaskPid.Ns.PidMap.Tell(new PidMapProtocol.Sysctl(_call!.Seq, s.Which, null));
                break;
            case ProcPath.Status st:
                _taskList.Tell(new TaskListProtocol.ReadStatus(_call!.Seq, _record.Id, st.Pid, st.Tid, st.Self, st.Thread));
                break;
            case ProcPath.IpcNextId n:
                _proxy!.IpcNs.Actor.Tell(new IpcProtocol.NextIdSysctl(_call!.Seq, n.Type, null));
                break;
            case ProcPath.NextId n when NextIdTarget(n) is var own && own != NextIdWhose.None:
                if (own == NextIdWhose.Mine)
                {
                    var text = NextId.Read();
                    Finish(SyscallResult.String(0, text.Length > 0 ? text + "\n" : ""));
                }
                else
                {
                    _taskList.Tell(new TaskListProtocol.ReadNextId(_call!.Seq, n.Pid, n.Tid, n.Tid == 0));
                }
                break;
            default:
                Finish(SyscallResult.Fail(0, Errno.ENOENT));
                break;
        }
    }

    private enum NextIdWhose
    {
        None,
        Mine,
        Other,
    }

    /// <summary>Whose slot a next_id path names, under the configured scope: per thread (v2 of the series:
    /// /proc/thread-self/next_id, /proc/PID/task/TID/next_id) or per process (v1: /proc/self/next_id, /proc/PID/next_id).
    /// The other scope's paths do not exist.</summary>
    private NextIdWhose NextIdTarget(ProcPath.NextId n)
    {
        var process = _ctx.Settings.NextIdScope == NextIdScope.Process;
        var myTid = TaskPid.Numbers[0].Nr;
        var myTgid = LeaderPid.Numbers[0].Nr;
        if (n.Self)
        {
            return n.Thread != process ? NextIdWhose.Mine : NextIdWhose.None;
        }
        if (process != (n.Tid == 0))
        {
            return NextIdWhose.None;
        }
        return process
            ? (n.Pid == myTgid ? NextIdWhose.Mine : NextIdWhose.Other)
            : (n.Pid == myTgid && n.Tid == myTid ? NextIdWhose.Mine : NextIdWhose.Other);
    }

    private void StartWrite(string path, string value)
    {
        if (path.StartsWith(Cgroups.CgroupPath.Prefix, StringComparison.Ordinal))
        {
            CgroupFile(Cgroups.CgroupFileOp.Write, path, value);
            return;
        }
        switch (ProcPath.Parse(path))
        {
            case ProcPath.Sysctl s:
                var e1 = ProcDointvec.Parse(value, out var v);
                if (e1 != Errno.None || v is null)
                {
                    Finish(e1 == Errno.None ? SyscallResult.Ok(0, 0) : SyscallResult.Fail(0, e1));
                    return;
                }
                TaskPid.Ns.PidMap.Tell(new PidMapProtocol.Sysctl(_call!.Seq, s.Which, v.Value));
                break;
            case ProcPath.Status:
                // /proc/PID/status is mode 0444, which a privileged task's open ignores (CAP_DAC_OVERRIDE); the file has
                // no write method: vfs_write() fails EINVAL.
                Finish(SyscallResult.Fail(0, Errno.EINVAL));
                break;
            case ProcPath.IpcNextId n:
                var e2 = ProcDointvec.Parse(value, out var id);
                if (e2 != Errno.None || id is null)
                {
                    Finish(e2 == Errno.None ? SyscallResult.Ok(0, 0) : SyscallResult.Fail(0, e2));
                    return;
                }
                _proxy!.IpcNs.Actor.Tell(new IpcProtocol.NextIdSysctl(_call!.Seq, n.Type, id.Value));
                break;
            case ProcPath.NextId n when NextIdTarget(n) is var whose && whose != NextIdWhose.None:
                if (whose == NextIdWhose.Mine)
                {
                    var e = NextId.Write(value);
                    Finish(e == Errno.None ? SyscallResult.Ok(0, 0) : SyscallResult.Fail(0, e));
                }
                else
                {
                    // Only the task itself may write its slot. (Linux would answer ENOENT for a missing task; the
                    // model answers EPERM for any other task's path, existing or not.)
                    Finish(SyscallResult.Fail(0, Errno.EPERM));
                }
                break;
            default:
                Finish(SyscallResult.Fail(0, Errno.ENOENT));
                break;
        }
    }

    private void HandleSysctlResult(PidMapProtocol.SysctlResult m)
    {
        var call = Current(m.Corr);
        if (m.Errno != Errno.None)
        {
            Finish(SyscallResult.Fail(0, m.Errno));
            return;
        }
        Finish(call.Syscall is Calls.Read
            ? SyscallResult.String(0, m.Value.ToString(CultureInfo.InvariantCulture) + "\n")
            : SyscallResult.Ok(0, 0));
    }
}

/// <summary>How a write to an integer sysctl is read: kernel/sysctl.c:__do_proc_dointvec() with proc_get_long() and
/// do_proc_dointvec_conv(), for one int (ns_last_pid, pid_max, msg/sem/shm_next_id: proc_dointvec_minmax()).</summary>
public static class ProcDointvec
{
    private const int TmpBufLen = 22; // TMPBUFLEN: proc_get_long() looks at 21 characters

    /// <summary>EINVAL, or success with the value; a null value is an empty write, which changes nothing
    /// (<c>!*lenp</c>). Leading white space is skipped (only white space: EINVAL); then an optional '-' (not '+'),
    /// a digit, and an unsigned number in the base strtoul picks (0x.. hex, 0.. octal, else decimal); the next
    /// character must be a space, tab or newline; anything after it is left unwritten, which is no error. The value
    /// must fit an int. The caller checks the sysctl's own range.</summary>
    public static Errno Parse(string text, out long? value)
    {
        value = null;
        if (text.Length == 0)
        {
            return Errno.None;
        }
        var start = 0;
        while (start < text.Length && text[start] is ' ' or '\t' or '\n' or '\v' or '\f' or '\r') // proc_skip_spaces(): isspace()
        {
            start++;
        }
        if (start == text.Length)
        {
            return Errno.EINVAL;
        }
        var size = text.Length - start;
        var tmp = text.Substring(start, Math.Min(size, TmpBufLen - 1));
        var p = 0;
        var neg = false;
        if (tmp[0] == '-' && size > 1)
        {
            neg = true;
            p++;
        }
        if (p >= tmp.Length || !char.IsAsciiDigit(tmp[p]))
        {
            return Errno.EINVAL;
        }
        // strtoul_lenient(p, &p, 0, &val): _parse_integer_fixup_radix(), then _parse_integer() (ERANGE on overflow).
        var radix = 10;
        if (tmp[p] == '0')
        {
            radix = p + 2 < tmp.Length && (tmp[p + 1] | 0x20) == 'x' && char.IsAsciiHexDigit(tmp[p + 2]) ? 16 : 8;
            if (radix == 16)
            {
                p += 2;
            }
        }
        ulong val = 0;
        for (; p < tmp.Length && DigitValue(tmp[p]) is var d && d < radix; p++)
        {
            if (val > (ulong.MaxValue - (ulong)d) / (ulong)radix)
            {
                return Errno.EINVAL;
            }
            val = val * (ulong)radix + (ulong)d;
        }
        // "We don't know if the next char is whitespace thus we may accept invalid integers": a number that fills the
        // buffer is refused; the character after it must be one of proc_wspace_sep.
        if (p == TmpBufLen - 1 || (p < size && tmp.Length > p && tmp[p] is not (' ' or '\t' or '\n')))
        {
            return Errno.EINVAL;
        }
        // do_proc_dointvec_conv()
        if (neg ? val > (ulong)int.MaxValue + 1 : val > int.MaxValue)
        {
            return Errno.EINVAL;
        }
        value = neg ? -(long)val : (long)val;
        return Errno.None;
    }

    private static int DigitValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => int.MaxValue,
    };
}

/// <summary>The /proc paths the model knows, parsed.</summary>
public abstract record ProcPath
{
    public sealed record Sysctl(PidSysctl Which) : ProcPath;

    /// <summary>/proc/TID/status (<c>Pid</c> 0: any task, threads too, as Linux's hidden /proc/TID entries) or
    /// /proc/PID/task/TID/status (TID must be a thread of PID), numbers of the root namespace; /proc/self/status,
    /// /proc/thread-self/status (<c>Self</c>: the caller's thread group leader, or with <c>Thread</c> the caller).</summary>
    public sealed record Status(int Pid, int Tid, bool Self = false, bool Thread = false) : ProcPath;

    /// <summary>A next_id file: /proc/thread-self/next_id (<c>Self</c>, <c>Thread</c>), /proc/self/next_id (<c>Self</c>),
    /// /proc/PID/task/TID/next_id, /proc/PID/next_id (<c>Tid</c> 0).</summary>
    public sealed record NextId(int Pid, int Tid, bool Self = false, bool Thread = false) : ProcPath;

    /// <summary>/proc/sys/kernel/{msg,sem,shm}_next_id.</summary>
    public sealed record IpcNextId(IpcType Type) : ProcPath;

    public sealed record Unknown : ProcPath;

    public static ProcPath Parse(string path)
    {
        switch (path)
        {
            case "/proc/sys/kernel/ns_last_pid":
                return new Sysctl(PidSysctl.NsLastPid);
            case "/proc/sys/kernel/pid_max":
                return new Sysctl(PidSysctl.PidMax);
            case "/proc/self/status":
                return new Status(0, 0, Self: true, Thread: false);
            case "/proc/thread-self/status":
                return new Status(0, 0, Self: true, Thread: true);
            case "/proc/self/next_id":
                return new NextId(0, 0, Self: true);
            case "/proc/thread-self/next_id":
                return new NextId(0, 0, Self: true, Thread: true);
            case "/proc/sys/kernel/msg_next_id":
                return new IpcNextId(IpcType.Msg);
            case "/proc/sys/kernel/sem_next_id":
                return new IpcNextId(IpcType.Sem);
            case "/proc/sys/kernel/shm_next_id":
                return new IpcNextId(IpcType.Shm);
        }
        var parts = path.Split('/');
        // ["", "proc", PID, "status"] or ["", "proc", PID, "task", TID, "status"]
        if (parts.Length == 4 && parts[1] == "proc" && int.TryParse(parts[2], out var pid) && pid > 0)
        {
            return parts[3] switch
            {
                "status" => new Status(0, pid),
                "next_id" => new NextId(pid, 0),
                _ => new Unknown(),
            };
        }
        if (parts.Length == 6 && parts[1] == "proc" && parts[3] == "task" &&
            int.TryParse(parts[2], out pid) && int.TryParse(parts[4], out var tid) && pid > 0 && tid > 0)
        {
            return parts[5] switch
            {
                "status" => new Status(pid, tid),
                "next_id" => new NextId(pid, tid),
                _ => new Unknown(),
            };
        }
        return new Unknown();
    }
}
