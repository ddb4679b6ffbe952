namespace Actors.Kernel.Ipc;

/// <summary>Messages of <see cref="IpcNamespaceActor"/>: each handler is one hold of the id set's rwsem.</summary>
public static class IpcProtocol
{
    /// <summary>msgget/semget/shmget: <c>Arg</c> is nsems or size; <c>RequestedId</c> the caller's next_id (2008 series).</summary>
    public sealed record Get(long Corr, IpcType Type, int Key, int Flags, long Arg, long? RequestedId);

    /// <summary>IPC_RMID.</summary>
    public sealed record Remove(long Corr, IpcType Type, int Id);

    /// <summary>Read (<c>Write</c> null) or write /proc/sys/kernel/{msg,sem,shm}_next_id.</summary>
    public sealed record NextIdSysctl(long Corr, IpcType Type, long? Write);

    /// <summary>Reply: a value or an errno; whether the request consumed the caller's next_id.</summary>
    public sealed record Result(long Corr, long Value, Errno Errno, bool RequestedIdConsumed);

    /// <summary>The last reference to the namespace went.</summary>
    public sealed record Destroy
    {
        public static readonly Destroy Instance = new();
        private Destroy() { }
    }
}
