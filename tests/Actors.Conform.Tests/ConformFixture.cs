using Actors.Kernel;
using Actors.Scenarios;

namespace Actors.Conform.Tests;

/// <summary>One model runner (invariants checked after every message) shared by a test class.</summary>
public sealed class ConformFixture : IDisposable
{
    public ModelRunner Runner { get; } = new(KernelConfig.WithDefaults("actors.kernel.check-invariants = on"));

    public void Dispose() => Runner.Dispose();
}
