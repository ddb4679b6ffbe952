using Actors.Kernel;

namespace Actors.Scenarios.Tests;

/// <summary>One model runner (actor system + controlled host) shared by a test class.</summary>
public sealed class RunnerFixture : IDisposable
{
    public ModelRunner Runner { get; } = new(KernelConfig.WithDefaults("actors.kernel.check-invariants = on"));

    public void Dispose() => Runner.Dispose();
}
