namespace Actors.Kernel.Ipc;

/// <summary>The three SysV IPC mechanisms; each has its own id set in an IPC namespace.</summary>
/// <remarks>
/// Linux indexes them as <c>IPC_SEM_IDS</c> 0, <c>IPC_MSG_IDS</c> 1, <c>IPC_SHM_IDS</c> 2
/// (include/linux/ipc_namespace.h); the numbering here is the model's own and never leaks into ids.
/// </remarks>
public enum IpcType
{
    /// <summary>Message queues (ipc/msg.c, <c>msgget</c>).</summary>
    Msg = 0,

    /// <summary>Semaphore sets (ipc/sem.c, <c>semget</c>).</summary>
    Sem = 1,

    /// <summary>Shared memory segments (ipc/shm.c, <c>shmget</c>).</summary>
    Shm = 2,
}
