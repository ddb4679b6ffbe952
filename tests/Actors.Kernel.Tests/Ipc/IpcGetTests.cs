using Actors.Kernel.Ipc;
using Xunit;
using static Actors.Kernel.Tests.Ipc.IpcTestSupport;

namespace Actors.Kernel.Tests.Ipc;

/// <summary>Spec 4.4: key lookup order of ipc/util.c:ipcget_public() and the permission rule of ipcperms().</summary>
public class IpcGetTests
{
    private static readonly IpcCredentials Owner = IpcCredentials.User(1000, 100);
    private static readonly IpcCredentials GroupMember = IpcCredentials.User(2000, 100);
    private static readonly IpcCredentials Other = IpcCredentials.User(3000, 300);

    public static TheoryData<string, IpcCredentials, int, Errno> KeyFoundCases => new()
    {
        // Object: key 42, mode 0640, owner/creator 1000:100. (who, credentials, flags, expected)
        { "owner, flags 0", Owner, 0, Errno.None },
        { "owner, IPC_CREAT", Owner, Creat, Errno.None },
        { "owner, IPC_EXCL alone is ignored", Owner, Excl, Errno.None },
        { "owner, IPC_CREAT|IPC_EXCL", Owner, Creat | Excl, Errno.EEXIST },
        { "owner, 0600", Owner, Oct(600), Errno.None },
        { "owner, 0100 (x not granted)", Owner, Oct(100), Errno.EACCES },
        { "owner, 0004 folds to r", Owner, Oct(4), Errno.None },
        { "group, 0400 folds to r", GroupMember, Oct(400), Errno.None },
        { "group, 0040", GroupMember, Oct(40), Errno.None },
        { "group, 0200", GroupMember, Oct(200), Errno.EACCES },
        { "other, flags 0 asks nothing", Other, 0, Errno.None },
        { "other, IPC_CREAT asks nothing", Other, Creat, Errno.None },
        { "other, 0004", Other, Oct(4), Errno.EACCES },
        { "other, 0400", Other, Oct(400), Errno.EACCES },
        { "other, IPC_CREAT|IPC_EXCL|0400: EEXIST before permission", Other, Creat | Excl | Oct(400), Errno.EEXIST },
        { "other with CAP_IPC_OWNER, 0666", Other with { CapIpcOwner = true }, Oct(666), Errno.None },
        { "other with CAP_SYS_ADMIN only, 0400", Other with { CapSysAdmin = true }, Oct(400), Errno.EACCES },
        { "uid 0 without CAP_IPC_OWNER, 0400", new IpcCredentials(0, 0), Oct(400), Errno.EACCES },
        { "high flag bits are not access bits", Other, 0x10000 | Creat, Errno.None },
    };

    [Theory]
    [MemberData(nameof(KeyFoundCases))]
    public void Get_existing_key_follows_eexist_then_permission_order(string who, IpcCredentials cred, int flags, Errno expected)
    {
        var ns = new IpcNamespaceState();
        var id = ns.Get(IpcType.Msg, 42, Creat | Excl | Oct(640), 0, Owner).Id;

        var r = ns.Get(IpcType.Msg, 42, flags, 0, cred);

        Assert.True(expected == r.Error, $"{who}: {r}");
        Assert.Equal(expected == Errno.None ? id : -1, r.Id);
        Assert.False(r.Created);
        Assert.Equal(1, ns.Messages.InUse);
    }

    [Theory]
    [InlineData(false, Errno.EACCES)]
    [InlineData(true, Errno.None)]
    public void Get_mode_0600_non_owner_asking_0400_needs_cap_ipc_owner(bool capIpcOwner, Errno expected)
    {
        var ns = new IpcNamespaceState();
        var id = ns.Get(IpcType.Sem, 7, Creat | Oct(600), 1, Owner).Id;

        var r = ns.Get(IpcType.Sem, 7, Oct(400), 1, Other with { CapIpcOwner = capIpcOwner });

        Assert.Equal(expected, r.Error);
        Assert.Equal(expected == Errno.None ? id : -1, r.Id);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(0x400)]        // IPC_EXCL without IPC_CREAT
    [InlineData(0x1B6)]        // 0666
    public void Get_missing_key_without_creat_fails_ENOENT(int flags)
    {
        var ns = new IpcNamespaceState();

        Assert.Equal(Errno.ENOENT, ns.Get(IpcType.Msg, 42, flags, 0, Root).Error);
        Assert.Equal(0, ns.Messages.InUse);
    }

    [Theory]
    [InlineData(0x200)]         // IPC_CREAT
    [InlineData(0x600)]         // IPC_CREAT|IPC_EXCL
    public void Get_missing_key_with_creat_creates(int flags)
    {
        var ns = new IpcNamespaceState();

        var r = ns.Get(IpcType.Msg, -5, flags, 0, Root);       // key_t is signed: negative keys are ordinary

        Assert.Equal(new IpcGetResult(0, Errno.None, Created: true, RequestedIdConsumed: false), r);
        Assert.True(ns.Messages.TryGetByKey(-5, out var obj));
        Assert.Equal(0, obj.Id);
    }

    [Theory]
    [InlineData(0)]             // no flags at all
    [InlineData(0x200)]
    [InlineData(0x600)]         // IPC_CREAT|IPC_EXCL is irrelevant for IPC_PRIVATE
    public void Get_ipc_private_always_creates(int flags)
    {
        var ns = new IpcNamespaceState();

        var a = ns.Get(IpcType.Msg, Private, flags, 0, Root);
        var b = ns.Get(IpcType.Msg, Private, flags, 0, Root);

        Assert.Equal((0, 1), (a.Id, b.Id));
        Assert.True(a.Created && b.Created);
        Assert.False(ns.Messages.TryGetByKey(Private, out _));  // IPC_PRIVATE is never hashed
        ns.CheckInvariants();
    }

    [Fact]
    public void Get_same_key_in_each_type_is_independent()
    {
        var ns = new IpcNamespaceState();

        Assert.Equal(0, ns.Get(IpcType.Msg, 42, Creat | Excl, 0, Root).Id);
        Assert.Equal(0, ns.Get(IpcType.Sem, 42, Creat | Excl, 1, Root).Id);
        Assert.Equal(0, ns.Get(IpcType.Shm, 42, Creat | Excl, 1, Root).Id);
        ns.CheckInvariants();
    }

    [Fact]
    public void Get_key_after_remove_is_free_again()
    {
        var ns = new IpcNamespaceState();
        var id = ns.Get(IpcType.Msg, 42, Creat, 0, Root).Id;
        Assert.Equal(Errno.None, ns.Remove(IpcType.Msg, id, Root));

        Assert.Equal(Errno.ENOENT, ns.Get(IpcType.Msg, 42, 0, 0, Root).Error);
        Assert.Equal(1, ns.Get(IpcType.Msg, 42, Creat | Excl, 0, Root).Id);
        ns.CheckInvariants();
    }

    [Fact]
    public void Get_existing_key_returns_id_with_its_seq()
    {
        var ns = new IpcNamespaceState();
        ns.WriteNextId(IpcType.Msg, (12 << 15) | 4, Root);
        var id = ns.Get(IpcType.Msg, 9, Creat, 0, Root).Id;

        Assert.Equal((12 << 15) | 4, id);
        Assert.Equal(id, ns.Get(IpcType.Msg, 9, 0, 0, Root).Id);
    }
}
