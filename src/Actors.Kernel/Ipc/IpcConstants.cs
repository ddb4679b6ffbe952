namespace Actors.Kernel.Ipc;

/// <summary>SysV IPC constants: flag bits, the IPC_PRIVATE key and the id layout.</summary>
/// <remarks>
/// Flag values from include/uapi/linux/ipc.h (octal there); id layout from ipc/util.h
/// (<c>IPCMNI_SHIFT</c> 15, <c>ipcid_to_idx()</c>, <c>ipcid_to_seqx()</c>, <c>ipcid_seq_max()</c>).
/// The <c>ipcmni_extend</c> boot option (shift 24) is not modelled.
/// </remarks>
public static class IpcConstants
{
    /// <summary><c>IPC_PRIVATE</c>: the key that always creates a new object and is never hashed.</summary>
    public const int PrivateKey = 0;

    /// <summary><c>IPC_CREAT</c> (01000): create if the key does not exist.</summary>
    public const int Create = 0x200;

    /// <summary><c>IPC_EXCL</c> (02000): with <see cref="Create"/>, fail EEXIST if the key exists.</summary>
    public const int Exclusive = 0x400;

    /// <summary><c>S_IRWXUGO</c> (0777): the permission bits of a flag word.</summary>
    public const int ModeMask = 0x1FF;

    /// <summary><c>IPCMNI_SHIFT</c>: the index occupies the low 15 bits of an id.</summary>
    public const int IdxShift = 15;

    /// <summary><c>IPCMNI</c> (1 &lt;&lt; 15 = 32768): number of indices per id set, the hard cap of every *mni limit.</summary>
    public const int Mni = 1 << IdxShift;

    /// <summary><c>IPCMNI_IDX_MASK</c>: <c>ipcid_to_idx(id) = id &amp; 0x7fff</c>.</summary>
    public const int IdxMask = Mni - 1;

    /// <summary><c>ipcid_seq_max()</c> = INT_MAX &gt;&gt; 15 = 65535: the largest seq an id can carry.</summary>
    /// <remarks>The cyclic path wraps seq to 0 when it reaches this value, so only a chosen id gets seq 65535.</remarks>
    public const int SeqMax = int.MaxValue >> IdxShift;

    /// <summary><c>ipc_min_cycle</c> = <c>RADIX_TREE_MAP_SIZE</c> = 64: the smallest cyclic window (ipc/util.h).</summary>
    public const int MinCycle = 64;

    /// <summary><c>PAGE_SIZE</c> on x86-64, used by shm page accounting (<c>shm_tot</c>, <c>shmall</c>).</summary>
    public const int PageSize = 4096;

    /// <summary><c>PAGE_SHIFT</c> on x86-64.</summary>
    public const int PageShift = 12;

    /// <summary>Builds <c>(seq &lt;&lt; 15) | idx</c>, as <c>ipc_idr_alloc()</c> does.</summary>
    public static int BuildId(int seq, int idx) => (seq << IdxShift) | idx;

    /// <summary><c>ipcid_to_idx()</c>.</summary>
    public static int IdToIdx(int id) => id & IdxMask;

    /// <summary><c>ipcid_to_seqx()</c>.</summary>
    public static int IdToSeq(int id) => id >> IdxShift;
}
