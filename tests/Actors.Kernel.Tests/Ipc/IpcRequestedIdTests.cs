using Actors.Kernel.Ipc;
using Xunit;
using static Actors.Kernel.Tests.Ipc.IpcTestSupport;

namespace Actors.Kernel.Tests.Ipc;

/// <summary>
/// Spec 5 and scenario-language "next_id": the per-task requested id of the 2008 series, passed as
/// <c>requestedId</c>. It names the full id; a busy index fails EEXIST; it is consumed once the call reaches id
/// allocation (past the limit check), including when that allocation then fails EINVAL or EEXIST.
/// </summary>
public class IpcRequestedIdTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(5L)]
    [InlineData(32768L)]                       // seq 1, idx 0
    [InlineData((7L << 15) | 3)]
    [InlineData(2147483647L)]                  // seq 65535, idx 32767
    public void Get_with_requested_id_creates_exactly_that_id(long requested)
    {
        var ns = new IpcNamespaceState();

        var r = ns.Get(IpcType.Msg, Private, Creat, 0, Root, requested);

        Assert.Equal(new IpcGetResult((int)requested, Errno.None, Created: true, RequestedIdConsumed: true), r);
        Assert.Equal(0, ns.Messages.Seq);            // the cyclic series is untouched
        Assert.Equal(-1, ns.Messages.LastIdx);
        Assert.Equal(0, ns.Messages.Cursor);
        ns.CheckInvariants();
    }

    // (requested id, expected errno) with idx 1 live at seq 0 (ids 0 and 1 exist).
    [Theory]
    [InlineData(1L, Errno.EEXIST)]                      // the very id
    [InlineData((9L << 15) | 1, Errno.EEXIST)]          // same index, other seq: the index is what is taken
    [InlineData(-1L, Errno.EINVAL)]                     // not an IPC id
    [InlineData(-32768L, Errno.EINVAL)]
    [InlineData(2147483648L, Errno.EINVAL)]             // > INT_MAX
    [InlineData(long.MaxValue, Errno.EINVAL)]
    public void Get_with_bad_or_busy_requested_id_fails_and_is_consumed(long requested, Errno expected)
    {
        var ns = new IpcNamespaceState();
        ns.CreatePrivate();
        ns.CreatePrivate();

        var r = ns.Get(IpcType.Msg, 42, Creat | Oct(600), 0, Root, requested);

        // Choice: "EEXIST when that index is in use" happens at id allocation, which the call reached, so the
        // slot is consumed (the caller clears it) even though no object was created.
        Assert.Equal(new IpcGetResult(-1, expected, Created: false, RequestedIdConsumed: true), r);
        Assert.Equal(2, ns.Messages.InUse);
        Assert.False(ns.Messages.TryGetByKey(42, out _));  // the key was not taken by the failed create
        ns.CheckInvariants();
    }

    [Fact]
    public void Get_with_requested_id_at_limit_fails_ENOSPC_and_is_not_consumed()
    {
        var ns = new IpcNamespaceState(new IpcLimits { Semmni = 1 });
        ns.CreatePrivate(IpcType.Sem);

        var r = ns.Get(IpcType.Sem, Private, Creat, 1, Root, 5);

        Assert.Equal(new IpcGetResult(-1, Errno.ENOSPC, false, RequestedIdConsumed: false), r);
    }

    public static TheoryData<string, IpcType, int, int, long, Errno> NotReachingAllocation => new()
    {
        // name, type, key, flags, nsems/size, expected errno; a key 42 msg/sem/shm object exists.
        { "existing key returned", IpcType.Msg, 42, 0, 0, Errno.None },
        { "existing key IPC_CREAT", IpcType.Msg, 42, Creat, 0, Errno.None },
        { "existing key IPC_CREAT|IPC_EXCL", IpcType.Msg, 42, Creat | Excl, 0, Errno.EEXIST },
        { "missing key without IPC_CREAT", IpcType.Msg, 43, 0, 0, Errno.ENOENT },
        { "semget nsems < 0", IpcType.Sem, Private, Creat, -1, Errno.EINVAL },
        { "semget nsems 0 create", IpcType.Sem, Private, Creat, 0, Errno.EINVAL },
        { "semget nsems > existing", IpcType.Sem, 42, 0, 3, Errno.EINVAL },
        { "shmget size 0 create", IpcType.Shm, Private, Creat, 0, Errno.EINVAL },
        { "shmget size > existing", IpcType.Shm, 42, 0, 8192, Errno.EINVAL },
    };

    [Theory]
    [MemberData(nameof(NotReachingAllocation))]
    public void Get_failing_or_finding_before_allocation_does_not_consume(
        string name, IpcType type, int key, int flags, long arg, Errno expected)
    {
        var ns = new IpcNamespaceState();
        Assert.True(ns.Get(type, 42, Creat | Oct(600), type == IpcType.Shm ? 4096 : 2, Root).IsSuccess);

        var r = ns.Get(type, key, flags, arg, Root, requestedId: 100);

        Assert.True(expected == r.Error, $"{name}: {r}");
        Assert.False(r.RequestedIdConsumed, name);
        Assert.False(r.Created, name);
    }

    [Fact]
    public void Get_without_requested_id_reports_not_consumed()
    {
        var r = new IpcNamespaceState().Get(IpcType.Msg, Private, Creat, 0, Root);

        Assert.Equal(new IpcGetResult(0, Errno.None, Created: true, RequestedIdConsumed: false), r);
    }

    [Fact]
    public void Get_with_requested_id_and_next_id_set_uses_requested_and_keeps_next_id()
    {
        var ns = new IpcNamespaceState();
        ns.WriteNextId(IpcType.Msg, 9, Root);

        var r = ns.Get(IpcType.Msg, Private, Creat, 0, Root, requestedId: 20);

        Assert.Equal(20, r.Id);
        Assert.True(r.RequestedIdConsumed);
        Assert.Equal(9, ns.ReadNextId(IpcType.Msg));               // documented choice: the sysctl is left as is
        Assert.Equal(9, ns.CreatePrivate());                        // and the next plain creation uses it
        Assert.Equal(-1, ns.ReadNextId(IpcType.Msg));
    }

    [Fact]
    public void Get_with_busy_requested_id_and_next_id_set_fails_EEXIST_and_keeps_next_id()
    {
        var ns = new IpcNamespaceState();
        ns.CreatePrivate();
        ns.WriteNextId(IpcType.Msg, 9, Root);

        var r = ns.Get(IpcType.Msg, Private, Creat, 0, Root, requestedId: 0);

        Assert.Equal(Errno.EEXIST, r.Error);
        Assert.Equal(9, ns.ReadNextId(IpcType.Msg));
    }

    [Fact]
    public void Get_with_requested_id_registers_the_key()
    {
        var ns = new IpcNamespaceState();

        var id = ns.Get(IpcType.Shm, 1234, Creat | Oct(640), 100, Root, requestedId: (2 << 15) | 77).Id;

        Assert.Equal((2 << 15) | 77, id);
        Assert.Equal(id, ns.Get(IpcType.Shm, 1234, 0, 0, Root).Id);
        Assert.Equal(Errno.None, ns.Remove(IpcType.Shm, id, Root));
        ns.CheckInvariants();
    }
}
