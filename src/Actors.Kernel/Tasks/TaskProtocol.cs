using System.Collections.Immutable;
using Akka.Actor;

namespace Actors.Kernel.Tasks;

/// <summary>A system call a task makes (the scenario language's calls).</summary>
public abstract record Syscall;

/// <summary>The calls and their arguments.</summary>
public static class Calls
{
    public sealed record Fork : Syscall;
    /// <summary>clone3(); <c>SetTid[0]</c> is the innermost level.</summary>
    public sealed record Clone(CloneFlags Flags, ImmutableArray<int> SetTid) : Syscall;
    public sealed record Unshare(CloneFlags Flags) : Syscall;
    /// <summary>setns() on /proc/PID/ns/pid (or ipc) of <c>Target</c>; null when that task is gone (ENOENT).</summary>
    public sealed record Setns(TaskRecord? Target, CloneFlags Flags) : Syscall;
    /// <summary>exit (this thread) or exit_group (<c>Group</c>).</summary>
    public sealed record Exit(int Code, bool Group) : Syscall;
    public sealed record Wait(int Pid, bool NoHang) : Syscall;
    public sealed record Kill(int Pid, int Signal) : Syscall;
    public sealed record GetPid : Syscall;
    public sealed record GetPpid : Syscall;
    public sealed record GetTid : Syscall;
    public sealed record SetChildSubreaper(long Value) : Syscall;
    public sealed record Read(string Path) : Syscall;
    /// <summary>msgget / semget / shmget (<c>Arg</c>: nsems or size).</summary>
    public sealed record IpcGet(Ipc.IpcType Type, int Key, int Flags, long Arg) : Syscall;
    /// <summary>msgctl / semctl / shmctl with IPC_RMID.</summary>
    public sealed record IpcRemove(Ipc.IpcType Type, int Id) : Syscall;
    public sealed record Write(string Path, string Value) : Syscall;
    /// <summary>mkdir(PATH, 0755) in cgroupfs.</summary>
    public sealed record Mkdir(string Path) : Syscall;
    /// <summary>rmdir(PATH) in cgroupfs.</summary>
    public sealed record Rmdir(string Path) : Syscall;
}

/// <summary>The result of a system call: a number, an errno, a string (read), or "dead" when the task died first.</summary>
public sealed record SyscallResult(long Corr, long Value, Errno Errno, string? Text, bool Dead, TaskRecord? NewTask)
{
    public static SyscallResult Ok(long corr, long value) => new(corr, value, Errno.None, null, false, null);
    public static SyscallResult Fail(long corr, Errno errno) => new(corr, -1, errno, null, false, null);
    public static SyscallResult String(long corr, string text) => new(corr, 0, Errno.None, text, false, null);
    public static SyscallResult Died(long corr) => new(corr, -1, Errno.None, null, true, null);
}

/// <summary>Messages of <see cref="TaskActor"/>.</summary>
public static class TaskProtocol
{
    /// <summary>Make a system call; the result goes to the sender as a <see cref="SyscallResult"/> with the same Corr.</summary>
    public sealed record Call(long Corr, Syscall Syscall);

    /// <summary>SIGKILL reached this thread: it runs do_exit (at once, or after the call it is in).</summary>
    public sealed record Die
    {
        public static readonly Die Instance = new();
        private Die() { }
    }

    /// <summary>A wait call finished (from the task list, after the reaped child's numbers were freed).</summary>
    public sealed record WaitDone(long Corr, WaitResult Result);

    /// <summary>Another task opens /proc/PID/ns/ipc of this one (ipcns_get() under task_lock): answer
    /// <see cref="IpcNsOf"/> with a reference taken, or none once the nsproxy was released (exiting).</summary>
    public sealed record GetIpcNs(long Corr);

    /// <summary>Reply to <see cref="GetIpcNs"/>.</summary>
    public sealed record IpcNsOf(long Corr, Ipc.IpcNsHandle? Ns);
}

/// <summary>Messages of <see cref="TaskListActor"/>: each handler is one hold of tasklist_lock.</summary>
public static class TaskListProtocol
{
    /// <summary>copy_process() under tasklist_lock: attach the child whose pid is visible at every level.</summary>
    public sealed record Attach(long Corr, int ForkerId, Pid.Pid Pid, CloneFlags Flags, NsProxy ChildProxy);

    /// <summary>Reply to <see cref="Attach"/>: the child, or ENOMEM / EINTR.</summary>
    public sealed record Attached(long Corr, TaskRecord? Child, Errno Errno);

    /// <summary>exit_notify() for a thread (exit_group: <c>Group</c>).</summary>
    public sealed record ExitNotify(int TaskId, bool Group);

    public sealed record Wait(long Corr, int TaskId, int Selector, bool NoHang);
    public sealed record CancelWait(int TaskId);
    public sealed record Kill(long Corr, int TaskId, int Pid, int Signal);
    public sealed record GetPpid(long Corr, int TaskId);
    public sealed record SetChildSubreaper(long Corr, int TaskId, bool On);

    /// <summary>unshare(CLONE_THREAD/SIGHAND/VM): is the caller the only thread of its group (thread_group_empty())?
    /// Answered with <see cref="ThreadGroupEmptyResult"/>.</summary>
    public sealed record ThreadGroupEmpty(long Corr, int TaskId);

    public sealed record ThreadGroupEmptyResult(long Corr, bool Empty);

    /// <summary>Read /proc/TID/status or /proc/PID/task/TID/status (numbers in the root namespace; <c>RootPid</c> 0
    /// for the first form), or the caller's own (<c>Self</c>: its group leader; with <c>Thread</c>: itself).</summary>
    public sealed record ReadStatus(long Corr, int TaskId, int RootPid, int RootTid, bool Self, bool Thread);

    /// <summary>Reply for calls answered with a number, errno or text.</summary>
    public sealed record Result(long Corr, long Value, Errno Errno, string? Text);

    /// <summary>Read another task's next_id: /proc/PID/task/TID/next_id, or /proc/PID/next_id (<c>Process</c>).</summary>
    public sealed record ReadNextId(long Corr, int RootPid, int RootTid, bool Process);

    /// <summary>The pid map of a dying namespace has only init's pid left.</summary>
    internal sealed record NamespaceEmptied(int InitId);

    /// <summary>Creates the actor of a task that booted with the kernel (its init).</summary>
    internal sealed record Adopt(int TaskId, Pid.Pid Pid, NsProxy Proxy, IActorRef ReplyTo);
}
