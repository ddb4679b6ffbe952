using Actors.Kernel.Ipc;
using Xunit;
using static Actors.Kernel.Tests.Ipc.IpcTestSupport;

namespace Actors.Kernel.Tests.Ipc;

/// <summary>The create+remove hot path allocates nothing once warm (it is benchmarked against msgget+IPC_RMID).</summary>
public class IpcAllocationFreeTests
{
    [Theory]
    [InlineData(IpcType.Msg, Private)]
    [InlineData(IpcType.Msg, 4242)]
    [InlineData(IpcType.Sem, 4242)]
    [InlineData(IpcType.Shm, Private)]
    public void Get_and_remove_pair_allocates_nothing_when_warm(IpcType type, int key)
    {
        var ns = new IpcNamespaceState();
        var arg = Arg(type);
        RunPairs(ns, type, key, arg, 1000);             // warm up: object array and key table at size

        var before = GC.GetAllocatedBytesForCurrentThread();
        RunPairs(ns, type, key, arg, 100_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    private static void RunPairs(IpcNamespaceState ns, IpcType type, int key, long arg, int count)
    {
        var root = IpcCredentials.Root;
        for (var i = 0; i < count; i++)
        {
            var r = ns.Get(type, key, Creat | Excl | 0x180, arg, root);
            if (!r.IsSuccess || ns.Remove(type, r.Id, root) != Errno.None)
            {
                Assert.Fail($"pair {i}: {r}");
            }
        }
    }
}
