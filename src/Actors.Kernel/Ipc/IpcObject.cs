namespace Actors.Kernel.Ipc;

/// <summary>One live SysV IPC object as its id set records it: id parts, key, permissions and type payload.</summary>
/// <remarks>
/// Models <c>struct kern_ipc_perm</c> (include/linux/ipc.h) plus the one type field the id rules read:
/// <c>sem_array.sem_nsems</c> (ipc/sem.c:sem_more_checks()) and <c>shmid_kernel.shm_segsz</c>
/// (ipc/shm.c:shm_more_checks()). Queue contents, semaphore values, attaches and times are not modelled.
/// Immutable: IPC_SET is not modelled, so uid/gid/mode never change after creation.
/// Invariant: <c>Id == (Seq &lt;&lt; 15) | Index</c>, <c>0 &lt;= Index &lt; 32768</c>, <c>0 &lt;= Seq &lt;= 65535</c>.
/// </remarks>
/// <param name="Id">The full IPC id returned to user space.</param>
/// <param name="Index">The idr index (<c>ipcid_to_idx(Id)</c>).</param>
/// <param name="Seq">The sequence number (<c>kern_ipc_perm.seq</c>).</param>
/// <param name="Key">The key, <see cref="IpcConstants.PrivateKey"/> for IPC_PRIVATE objects.</param>
/// <param name="Mode">The low 9 permission bits (<c>flg &amp; S_IRWXUGO</c>).</param>
/// <param name="Uid">Owner uid (<c>kern_ipc_perm.uid</c>).</param>
/// <param name="Gid">Owner gid.</param>
/// <param name="Cuid">Creator uid.</param>
/// <param name="Cgid">Creator gid.</param>
/// <param name="Nsems">Semaphores in the set (sem only; 0 otherwise).</param>
/// <param name="Size">Segment size in bytes (shm only; 0 otherwise).</param>
public readonly record struct IpcObject(
    int Id,
    int Index,
    int Seq,
    int Key,
    int Mode,
    uint Uid,
    uint Gid,
    uint Cuid,
    uint Cgid,
    int Nsems,
    ulong Size);
