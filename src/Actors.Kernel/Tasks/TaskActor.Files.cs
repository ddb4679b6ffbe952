using System.Globalization;
using Actors.Kernel.Ipc;
using Actors.Kernel.Pid;
using Akka.Actor;

namespace Actors.Kernel.Tasks;

/// <summary>read/write of the model's files: /proc/sys/kernel sysctls and /proc/PID/status.</summary>
public sealed partial class TaskActor
{
    private void StartRead(string path)
    {
        switch (ProcPath.Parse(path))
        {
            case ProcPath.Sysctl s:
                // Sysctls of the pid namespace act on the caller's *active* namespace (task_active_pid_ns(current)).
                _pid.Ns.PidMap.Tell(new PidMapProtocol.Sysctl(_call!.Seq, s.Which, null));
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
                    var text = _nextId.Read();
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
        var myTid = _pid.Numbers[0].Nr;
        var myTgid = _leaderPid.Numbers[0].Nr;
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
        switch (ProcPath.Parse(path))
        {
            case ProcPath.Sysctl s:
                // proc_dointvec_minmax(): an integer, possibly surrounded by white space; anything else is EINVAL.
                if (!long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
                {
                    Finish(SyscallResult.Fail(0, Errno.EINVAL));
                    return;
                }
                _pid.Ns.PidMap.Tell(new PidMapProtocol.Sysctl(_call!.Seq, s.Which, v));
                break;
            case ProcPath.Status:
                // /proc/PID/status is mode 0444 and has no write method.
                Finish(SyscallResult.Fail(0, Errno.EACCES));
                break;
            case ProcPath.IpcNextId n:
                if (!long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id))
                {
                    Finish(SyscallResult.Fail(0, Errno.EINVAL));
                    return;
                }
                _proxy!.IpcNs.Actor.Tell(new IpcProtocol.NextIdSysctl(_call!.Seq, n.Type, id));
                break;
            case ProcPath.NextId n when NextIdTarget(n) is var whose && whose != NextIdWhose.None:
                if (whose == NextIdWhose.Mine)
                {
                    var e = _nextId.Write(value);
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
