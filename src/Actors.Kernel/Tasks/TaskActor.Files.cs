using System.Globalization;
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
            default:
                Finish(SyscallResult.Fail(0, Errno.ENOENT));
                break;
        }
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
        }
        var parts = path.Split('/');
        // ["", "proc", PID, "status"] or ["", "proc", PID, "task", TID, "status"]
        if (parts.Length == 4 && parts[1] == "proc" && parts[3] == "status" && int.TryParse(parts[2], out var pid) && pid > 0)
        {
            return new Status(0, pid);
        }
        if (parts.Length == 6 && parts[1] == "proc" && parts[3] == "task" && parts[5] == "status" &&
            int.TryParse(parts[2], out pid) && int.TryParse(parts[4], out var tid) && pid > 0 && tid > 0)
        {
            return new Status(pid, tid);
        }
        return new Unknown();
    }
}
