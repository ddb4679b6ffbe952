using Actors.Kernel.Ipc;
using Xunit;
using static Actors.Kernel.Tests.Ipc.IpcTestSupport;

namespace Actors.Kernel.Tests.Ipc;

/// <summary>Spec 4.1/4.2: id format and the cyclic allocation of ipc/util.c:ipc_idr_alloc().</summary>
public class IpcIdAllocationTests
{
    [Theory]
    [InlineData(IpcType.Msg)]
    [InlineData(IpcType.Sem)]
    [InlineData(IpcType.Shm)]
    public void Create_fresh_namespace_gives_ids_0_1_2(IpcType type)
    {
        var ns = new IpcNamespaceState();

        Assert.Equal(0, ns.CreatePrivate(type));
        Assert.Equal(1, ns.CreatePrivate(type));
        Assert.Equal(2, ns.CreatePrivate(type));

        var ids = ns.Ids(type);
        Assert.Equal(3, ids.InUse);
        Assert.Equal(0, ids.Seq);
        Assert.Equal(2, ids.LastIdx);
        Assert.Equal(3, ids.Cursor);
        Assert.Equal([0, 1, 2], ns.LiveObjects(type).Select(o => o.Index));
        Assert.All(ns.LiveObjects(type), o => Assert.Equal(0, o.Seq));
        ns.CheckInvariants();
    }

    [Fact]
    public void Create_types_have_independent_id_sets()
    {
        var ns = new IpcNamespaceState();

        Assert.Equal(0, ns.CreatePrivate(IpcType.Msg));
        Assert.Equal(0, ns.CreatePrivate(IpcType.Sem));
        Assert.Equal(0, ns.CreatePrivate(IpcType.Shm));
        Assert.Equal(1, ns.CreatePrivate(IpcType.Msg));
        ns.CheckInvariants();
    }

    [Fact]
    public void Create_after_remove_does_not_reuse_index_immediately()
    {
        var ns = new IpcNamespaceState();
        var first = ns.CreateRemove();

        var second = ns.CreatePrivate();

        Assert.Equal(0, first);
        Assert.Equal(1, second);
        ns.CheckInvariants();
    }

    [Fact]
    public void Create_with_few_objects_wraps_after_idx_63_to_idx_0_seq_1()
    {
        var ns = new IpcNamespaceState();
        for (var i = 0; i < 64; i++)
        {
            Assert.Equal(i, ns.CreateRemove());
        }

        var id = ns.CreatePrivate();

        Assert.Equal(32768, id);                  // seq 1, idx 0
        Assert.Equal(1, ns.Messages.Seq);
        Assert.Equal(0, ns.Messages.LastIdx);
        ns.CheckInvariants();
    }

    [Fact]
    public void Create_wrap_skips_busy_low_index()
    {
        var ns = new IpcNamespaceState();
        Assert.Equal(0, ns.CreatePrivate());       // stays live
        for (var i = 1; i < 64; i++)
        {
            Assert.Equal(i, ns.CreateRemove());
        }

        Assert.Equal(32768 + 1, ns.CreatePrivate()); // lowest free >= 0 is 1; 1 <= last_idx 63 -> seq 1
        ns.CheckInvariants();
    }

    // The window is min(max(in_use * 3 / 2, 64), 32768), computed with in_use before the new object.
    // With n live objects at 0..n-1, create+remove walks n, n+1, ..., window-1, then wraps to n with seq 1.
    [Theory]
    [InlineData(0, 64)]
    [InlineData(10, 64)]
    [InlineData(42, 64)]    // 42*3/2 = 63 < 64
    [InlineData(43, 64)]    // 43*3/2 = 64
    [InlineData(44, 66)]
    [InlineData(50, 75)]
    [InlineData(100, 150)]
    public void Create_cyclic_window_depends_on_in_use(int live, int window)
    {
        var ns = new IpcNamespaceState();
        for (var i = 0; i < live; i++)
        {
            Assert.Equal(i, ns.CreatePrivate());
        }

        for (var idx = live; idx < window; idx++)
        {
            Assert.Equal(idx, ns.CreateRemove());
        }

        Assert.Equal(IpcConstants.BuildId(1, live), ns.CreatePrivate());
        ns.CheckInvariants();
    }

    [Fact]
    public void Create_seq_wraps_from_65534_to_0()
    {
        var ns = new IpcNamespaceState();
        var last = -1;
        for (var pass = 0; pass < IpcConstants.SeqMax; pass++)        // seq 0 .. 65534, 64 indices each
        {
            for (var i = 0; i < IpcConstants.MinCycle; i++)
            {
                last = ns.CreateRemove();
            }
        }

        Assert.Equal(2147418175, last);                               // seq 65534, idx 63
        Assert.Equal(IpcConstants.BuildId(65534, 63), last);

        var wrapped = ns.CreatePrivate();

        Assert.Equal(0, wrapped);                                     // seq 65535 is never used: back to 0
        Assert.Equal(0, ns.Messages.Seq);
        ns.CheckInvariants();
    }

    [Theory]
    [InlineData(IpcType.Msg, 3)]
    [InlineData(IpcType.Sem, 3)]
    [InlineData(IpcType.Shm, 3)]
    [InlineData(IpcType.Msg, 1)]
    public void Create_at_limit_fails_ENOSPC(IpcType type, int limit)
    {
        var ns = new IpcNamespaceState(new IpcLimits { Msgmni = limit, Semmni = limit, Shmmni = limit });
        for (var i = 0; i < limit; i++)
        {
            Assert.Equal(i, ns.CreatePrivate(type));
        }

        var r = ns.Get(type, Private, Creat | Oct(600), Arg(type), Root);

        Assert.Equal(Errno.ENOSPC, r.Error);
        Assert.Equal(-1, r.Id);
        Assert.Equal(limit, ns.Ids(type).Cursor);                     // nothing moved
        ns.CheckInvariants();

        Assert.Equal(Errno.None, ns.Remove(type, 0, Root));
        Assert.True(ns.Get(type, Private, Creat, Arg(type), Root).IsSuccess);
    }

    [Fact]
    public void Create_limit_above_ipcmni_is_clamped_to_32768()
    {
        var ns = new IpcNamespaceState(new IpcLimits { Msgmni = 100_000 });
        var seen = new HashSet<int>();
        for (var i = 0; i < IpcConstants.Mni; i++)
        {
            var r = ns.Get(IpcType.Msg, Private, Creat, 0, Root);
            Assert.True(r.IsSuccess, $"create #{i}: {r}");
            Assert.True(seen.Add(r.Id));
        }

        Assert.Equal(Errno.ENOSPC, ns.Get(IpcType.Msg, Private, Creat, 0, Root).Error);
        Assert.Equal(IpcConstants.Mni, ns.Messages.InUse);
        ns.CheckInvariants();
    }

    [Fact]
    public void Create_reusing_last_idx_bumps_seq()
    {
        // idx == last_idx needs a full window: 32768 objects, remove the last allocated one, create again.
        var ns = new IpcNamespaceState(new IpcLimits { Msgmni = IpcConstants.Mni });
        for (var i = 0; i < IpcConstants.Mni; i++)
        {
            Assert.Equal(i, ns.CreatePrivate());
        }

        Assert.Equal(32767, ns.Messages.LastIdx);
        Assert.Equal(Errno.None, ns.Remove(IpcType.Msg, 32767, Root));

        var id = ns.CreatePrivate();

        Assert.Equal(65535, id);                                      // seq 1, idx 32767
        Assert.Equal(1, ns.Messages.Seq);
        ns.CheckInvariants();
    }

    [Fact]
    public void Create_records_mode_and_owner_from_flags_and_credentials()
    {
        var ns = new IpcNamespaceState();
        var cred = IpcCredentials.User(1000, 100);

        var r = ns.Get(IpcType.Msg, 77, Creat | Excl | Oct(640), 0, cred);

        Assert.True(ns.Messages.TryGet(r.Id, out var obj));
        Assert.Equal(new IpcObject(0, 0, 0, 77, Oct(640), 1000, 100, 1000, 100, 0, 0), obj);
    }
}
