using Actors.Kernel.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace Actors.Kernel.Specs;

public sealed class ForkSpec(ITestOutputHelper output) : KernelSpec(output)
{
    [Fact]
    public void Fork_must_give_the_next_number_and_link_the_child()
    {
        var a = Fork(Init);
        Assert.Equal(2, a.Pid.Numbers[0].Nr);
        Assert.Equal(1, Call(a, new Calls.GetPpid()).Value);
        Assert.Equal(2, Call(a, new Calls.GetPid()).Value);
        AwaitQuiescentInvariants();
    }
}
