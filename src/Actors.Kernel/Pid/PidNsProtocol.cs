namespace Actors.Kernel.Pid;

/// <summary>Messages of <see cref="PidNamespaceActor"/>.</summary>
public static class PidNsProtocol
{
    /// <summary>create_pid_namespace() with this namespace as parent. The new namespace starts with one reference,
    /// owned by the requester (the nsproxy it will be put in).</summary>
    public sealed record CreateChild(long Corr);

    /// <summary>Reply to <see cref="CreateChild"/>: the new namespace, or ENOSPC (level or count limit).</summary>
    public sealed record ChildCreated(long Corr, NsHandle? Child, Errno Errno);

    /// <summary>The last reference went (NsHandle.Put): destroy the namespace and drop its reference on the parent.</summary>
    public sealed record Destroy
    {
        public static readonly Destroy Instance = new();
        private Destroy() { }
    }
}
