using Actors.Kernel.Ipc;
using Xunit;
using static Actors.Kernel.Tests.Ipc.IpcTestSupport;

namespace Actors.Kernel.Tests.Ipc;

/// <summary>Spec 4.1 (lookup by id) and 4.5: IPC_RMID through ipc/util.c:ipcctl_obtain_check() and ipc_rmid().</summary>
public class IpcRemoveTests
{
    private static readonly IpcCredentials Owner = IpcCredentials.User(1000, 100);

    // One live object: id 0 (idx 0, seq 0), plus id 1 (idx 1).
    [Theory]
    [InlineData(IpcType.Msg, -1, Errno.EINVAL)]            // negative id
    [InlineData(IpcType.Msg, int.MinValue, Errno.EINVAL)]
    [InlineData(IpcType.Msg, 2, Errno.EINVAL)]             // unknown index
    [InlineData(IpcType.Msg, 32767, Errno.EINVAL)]
    [InlineData(IpcType.Msg, 32768, Errno.EINVAL)]         // idx 0 but seq 1: seq mismatch
    [InlineData(IpcType.Msg, 2147450880, Errno.EINVAL)]    // idx 0, seq 65535
    [InlineData(IpcType.Msg, 0, Errno.None)]
    [InlineData(IpcType.Msg, 1, Errno.None)]
    [InlineData(IpcType.Sem, 32768, Errno.EINVAL)]
    [InlineData(IpcType.Sem, 0, Errno.None)]
    [InlineData(IpcType.Shm, 32769, Errno.EINVAL)]
    [InlineData(IpcType.Shm, 1, Errno.None)]
    public void Remove_checks_index_and_seq(IpcType type, int id, Errno expected)
    {
        var ns = new IpcNamespaceState();
        ns.CreatePrivate(type);
        ns.CreatePrivate(type);

        Assert.Equal(expected, ns.Remove(type, id, Root));
        Assert.Equal(expected == Errno.None ? 1 : 2, ns.Ids(type).InUse);
        ns.CheckInvariants();
    }

    [Theory]
    [InlineData(IpcType.Msg)]
    [InlineData(IpcType.Sem)]
    [InlineData(IpcType.Shm)]
    public void Remove_twice_fails_EINVAL(IpcType type)
    {
        var ns = new IpcNamespaceState();
        var id = ns.CreatePrivate(type);

        Assert.Equal(Errno.None, ns.Remove(type, id, Root));
        Assert.Equal(Errno.EINVAL, ns.Remove(type, id, Root));
    }

    [Fact]
    public void Remove_stale_id_after_index_reuse_fails_EINVAL()
    {
        var ns = new IpcNamespaceState();
        for (var i = 0; i < 64; i++)
        {
            ns.CreateRemove();
        }

        var reused = ns.CreatePrivate();                        // idx 0 again, seq 1

        Assert.Equal(32768, reused);
        Assert.Equal(Errno.EINVAL, ns.Remove(IpcType.Msg, 0, Root));
        Assert.Equal(Errno.None, ns.Remove(IpcType.Msg, reused, Root));
    }

    public static TheoryData<string, IpcCredentials, Errno> Removers => new()
    {
        // Object created by 1000:100 with mode 0666 (mode does not matter for RMID).
        { "owner and creator", Owner, Errno.None },
        { "same uid, other gid", IpcCredentials.User(1000, 999), Errno.None },
        { "same group only", IpcCredentials.User(2000, 100), Errno.EPERM },
        { "other", IpcCredentials.User(3000, 300), Errno.EPERM },
        { "other with CAP_IPC_OWNER", new IpcCredentials(3000, 300, CapIpcOwner: true), Errno.EPERM },
        { "other with CAP_SYS_ADMIN", new IpcCredentials(3000, 300, CapSysAdmin: true), Errno.None },
        { "uid 0 without caps", new IpcCredentials(0, 0), Errno.EPERM },
        { "root", IpcCredentials.Root, Errno.None },
    };

    [Theory]
    [MemberData(nameof(Removers))]
    public void Remove_needs_owner_creator_or_cap_sys_admin(string who, IpcCredentials cred, Errno expected)
    {
        var ns = new IpcNamespaceState();
        var id = ns.Get(IpcType.Sem, 5, Creat | Oct(666), 3, Owner).Id;

        var err = ns.Remove(IpcType.Sem, id, cred);

        Assert.True(expected == err, $"{who}: {err}");
        Assert.Equal(expected == Errno.None ? 0 : 1, ns.Semaphores.InUse);
        Assert.Equal(expected == Errno.None ? 0 : 3, ns.UsedSems);
        ns.CheckInvariants();
    }

    [Fact]
    public void Remove_unknown_id_by_non_owner_fails_EINVAL_before_EPERM()
    {
        var ns = new IpcNamespaceState();
        ns.Get(IpcType.Msg, Private, Creat, 0, Owner);

        Assert.Equal(Errno.EINVAL, ns.Remove(IpcType.Msg, 32768, IpcCredentials.User(3000, 300)));
    }

    [Fact]
    public void Remove_in_one_type_leaves_other_types_alone()
    {
        var ns = new IpcNamespaceState();
        ns.CreatePrivate(IpcType.Msg);
        ns.CreatePrivate(IpcType.Sem);
        ns.CreatePrivate(IpcType.Shm);

        Assert.Equal(Errno.None, ns.Remove(IpcType.Msg, 0, Root));
        Assert.Equal(Errno.EINVAL, ns.Remove(IpcType.Msg, 0, Root));
        Assert.True(ns.Semaphores.TryGet(0, out _));
        Assert.True(ns.SharedMemory.TryGet(0, out _));
    }

    [Fact]
    public void Remove_shm_without_attach_frees_key_and_pages_at_once()
    {
        // No shmat in the model, so nothing is ever attached: IPC_RMID destroys the segment immediately.
        var ns = new IpcNamespaceState();
        var id = ns.Get(IpcType.Shm, 77, Creat | Oct(600), 3 * 4096 + 1, Root).Id;
        Assert.Equal(4UL, ns.ShmTotPages);

        Assert.Equal(Errno.None, ns.Remove(IpcType.Shm, id, Root));

        Assert.Equal(0UL, ns.ShmTotPages);
        Assert.False(ns.SharedMemory.TryGet(id, out _));
        Assert.Equal(Errno.ENOENT, ns.Get(IpcType.Shm, 77, 0, 0, Root).Error);
        ns.CheckInvariants();
    }

    [Fact]
    public void LiveObjects_lists_in_index_order()
    {
        var ns = new IpcNamespaceState();
        ns.WriteNextId(IpcType.Msg, (3 << 15) | 10, Root);
        ns.CreatePrivate();                 // idx 10
        ns.CreatePrivate();                 // idx 0
        ns.CreatePrivate();                 // idx 1
        ns.Remove(IpcType.Msg, 0, Root);

        Assert.Equal([1, (3 << 15) | 10], ns.LiveObjects(IpcType.Msg).Select(o => o.Id));
    }
}
