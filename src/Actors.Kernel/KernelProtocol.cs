using Actors.Kernel.Tasks;

namespace Actors.Kernel;

/// <summary>Messages of <see cref="KernelActor"/>.</summary>
public static class KernelProtocol
{
    /// <summary>The kernel booted: its init task exists and its actor runs.</summary>
    public sealed record Booted(TaskRecord Init);
}
