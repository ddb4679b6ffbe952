using Actors.Kernel.Tasks;

namespace Actors.Kernel;

/// <summary>Messages of <see cref="KernelActor"/>.</summary>
public static class KernelProtocol
{
    /// <summary>The kernel booted: its init task exists and its actor runs.</summary>
    public sealed record Booted(TaskRecord Init);

    /// <summary>copy_namespaces() with CLONE_NEWIPC: create an IPC namespace (its first reference goes to the requester).</summary>
    public sealed record CreateIpcNamespace(long Corr);

    /// <summary>Reply to <see cref="CreateIpcNamespace"/>.</summary>
    public sealed record IpcNamespaceCreated(long Corr, Ipc.IpcNsHandle Ns);
}
