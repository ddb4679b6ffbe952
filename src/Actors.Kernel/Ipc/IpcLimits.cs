namespace Actors.Kernel.Ipc;

/// <summary>The per-IPC-namespace limit sysctls, with the defaults of Linux 6.18 on x86-64.</summary>
/// <remarks>
/// Linux keeps these in <c>struct ipc_namespace</c> (<c>msg_ctlmni</c>, <c>sem_ctls[]</c>, <c>shm_ctlmni</c>,
/// <c>shm_ctlmax</c>, <c>shm_ctlall</c>) and exposes them as <c>/proc/sys/kernel/{msgmni,sem,shmmni,shmmax,shmall}</c>
/// (ipc/ipc_sysctl.c). Defaults:
/// <list type="bullet">
/// <item><c>msgmni</c> = MSGMNI 32000 (include/uapi/linux/msg.h; set by ipc/msg.c:msg_init_ns()).</item>
/// <item><c>semmni</c> = SEMMNI 32000, <c>semmsl</c> = SEMMSL 32000, <c>semmns</c> = SEMMNI*SEMMSL = 1024000000
/// (include/uapi/linux/sem.h; set by ipc/sem.c:sem_init_ns()).</item>
/// <item><c>shmmni</c> = SHMMNI 4096; <c>shmmax</c> = SHMMAX = ULONG_MAX - (1UL &lt;&lt; 24) bytes;
/// <c>shmall</c> = SHMALL = ULONG_MAX - (1UL &lt;&lt; 24) pages (include/uapi/linux/shm.h; set by
/// ipc/shm.c:shm_init_ns()).</item>
/// </list>
/// The *mni values are clamped to <see cref="IpcConstants.Mni"/> at use (ipc/util.c:ipc_addid()), so larger values
/// are accepted here and behave as 32768. Not modelled: msgmax/msgmnb/semopm (no msgsnd/semop).
/// Immutable; a namespace swaps in a new instance when a limit sysctl is written.
/// </remarks>
public sealed record IpcLimits
{
    /// <summary>SHMMAX and SHMALL on 64-bit: <c>ULONG_MAX - (1UL &lt;&lt; 24)</c> = 18446744073692774399.</summary>
    public const ulong ShmDefaultMax = ulong.MaxValue - (1UL << 24);

    /// <summary>The Linux 6.18 x86-64 defaults.</summary>
    public static IpcLimits Default { get; } = new();

    /// <summary><c>kernel.msgmni</c>: most message queues per namespace.</summary>
    public int Msgmni { get; init; } = 32000;

    /// <summary><c>kernel.sem</c> field 4, SEMMNI: most semaphore sets per namespace.</summary>
    public int Semmni { get; init; } = 32000;

    /// <summary><c>kernel.sem</c> field 1, SEMMSL: most semaphores per set.</summary>
    public int Semmsl { get; init; } = 32000;

    /// <summary><c>kernel.sem</c> field 2, SEMMNS: most semaphores in all sets of the namespace.</summary>
    public long Semmns { get; init; } = 32000L * 32000L;

    /// <summary><c>kernel.shmmni</c>: most shared memory segments per namespace.</summary>
    public int Shmmni { get; init; } = 4096;

    /// <summary><c>kernel.shmmax</c>: largest segment, in bytes.</summary>
    public ulong Shmmax { get; init; } = ShmDefaultMax;

    /// <summary><c>kernel.shmall</c>: total shared memory of the namespace, in pages.</summary>
    public ulong Shmall { get; init; } = ShmDefaultMax;
}
