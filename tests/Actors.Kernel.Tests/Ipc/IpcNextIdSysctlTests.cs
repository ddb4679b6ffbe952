using Actors.Kernel.Ipc;
using Xunit;
using static Actors.Kernel.Tests.Ipc.IpcTestSupport;

namespace Actors.Kernel.Tests.Ipc;

/// <summary>Spec 4.2 step 2-3 and 4.3: the mainline <c>/proc/sys/kernel/{msg,sem,shm}_next_id</c> sysctls.</summary>
public class IpcNextIdSysctlTests
{
    [Theory]
    [InlineData(IpcType.Msg)]
    [InlineData(IpcType.Sem)]
    [InlineData(IpcType.Shm)]
    public void ReadNextId_fresh_namespace_reads_minus_1(IpcType type)
    {
        Assert.Equal(-1, new IpcNamespaceState().ReadNextId(type));
    }

    [Theory]
    [InlineData(0L, Errno.None, 0)]
    [InlineData(5L, Errno.None, 5)]
    [InlineData(32768L, Errno.None, 32768)]
    [InlineData(2147483647L, Errno.None, 2147483647)]
    [InlineData(-1L, Errno.EINVAL, -1)]            // -1 cannot be written: only consumption resets
    [InlineData(-2L, Errno.EINVAL, -1)]
    [InlineData(2147483648L, Errno.EINVAL, -1)]    // > INT_MAX
    public void WriteNextId_range_is_0_to_int_max(long value, Errno expected, int readBack)
    {
        var ns = new IpcNamespaceState();

        Assert.Equal(expected, ns.WriteNextId(IpcType.Msg, value, Root));
        Assert.Equal(readBack, ns.ReadNextId(IpcType.Msg));
    }

    [Fact]
    public void WriteNextId_minus_1_when_set_fails_EINVAL_and_keeps_value()
    {
        var ns = new IpcNamespaceState();
        ns.WriteNextId(IpcType.Sem, 9, Root);

        Assert.Equal(Errno.EINVAL, ns.WriteNextId(IpcType.Sem, -1, Root));
        Assert.Equal(9, ns.ReadNextId(IpcType.Sem));
    }

    public static TheoryData<string, IpcCredentials, Errno> WriterCredentials => new()
    {
        { "root with all caps", IpcCredentials.Root, Errno.None },
        { "CAP_SYS_ADMIN only", new IpcCredentials(1000, 1000, CapSysAdmin: true), Errno.None },
        { "CAP_CHECKPOINT_RESTORE only", new IpcCredentials(1000, 1000, CapCheckpointRestore: true), Errno.None },
        { "uid 0 without caps", new IpcCredentials(0, 0), Errno.EACCES },
        { "CAP_IPC_OWNER only", new IpcCredentials(1000, 1000, CapIpcOwner: true), Errno.EACCES },
        { "plain user", IpcCredentials.User(1000, 1000), Errno.EACCES },
    };

    [Theory]
    [MemberData(nameof(WriterCredentials))]
    public void WriteNextId_needs_sys_admin_or_checkpoint_restore(string who, IpcCredentials cred, Errno expected)
    {
        var ns = new IpcNamespaceState();

        var err = ns.WriteNextId(IpcType.Shm, 7, cred);

        Assert.True(expected == err, who);
        Assert.Equal(expected == Errno.None ? 7 : -1, ns.ReadNextId(IpcType.Shm));
    }

    [Fact]
    public void WriteNextId_unprivileged_out_of_range_fails_EACCES_first()
    {
        // The open for writing fails before the value is parsed.
        Assert.Equal(Errno.EACCES, new IpcNamespaceState().WriteNextId(IpcType.Msg, -1, IpcCredentials.User(1, 1)));
    }

    [Theory]
    [InlineData(IpcType.Msg)]
    [InlineData(IpcType.Sem)]
    [InlineData(IpcType.Shm)]
    public void Create_with_next_id_5_gives_id_5_and_resets_to_minus_1(IpcType type)
    {
        var ns = new IpcNamespaceState();
        ns.WriteNextId(type, 5, Root);

        Assert.Equal(5, ns.CreatePrivate(type));
        Assert.Equal(-1, ns.ReadNextId(type));

        var ids = ns.Ids(type);
        Assert.Equal(0, ids.Seq);        // seq, last_idx and the cursor are untouched
        Assert.Equal(-1, ids.LastIdx);
        Assert.Equal(0, ids.Cursor);
        Assert.Equal(0, ns.CreatePrivate(type));
        ns.CheckInvariants();
    }

    // (live objects created first, next_id, expected id)
    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(0, 32768, 32768)]                        // seq 1 idx 0 on a fresh set
    [InlineData(0, 2147483647, 2147483647)]              // seq 65535 idx 32767: INT_MAX
    [InlineData(3, 1, 3)]                                // idx 1 and 2 busy: next free is 3, seq 0
    [InlineData(3, (3 << 15) | 1, (3 << 15) | 3)]        // busy index: next free index with the requested seq
    [InlineData(3, (7 << 15) | 5, (7 << 15) | 5)]
    [InlineData(64, 10, 64)]                             // beyond the cyclic window is fine
    public void Create_with_next_id_takes_lowest_free_index_at_or_above(int live, int nextId, int expected)
    {
        var ns = new IpcNamespaceState();
        for (var i = 0; i < live; i++)
        {
            ns.CreatePrivate();
        }

        ns.WriteNextId(IpcType.Msg, nextId, Root);

        var r = ns.Get(IpcType.Msg, Private, Creat, 0, Root);

        Assert.Equal(expected, r.Id);
        Assert.True(r.Created);
        Assert.False(r.RequestedIdConsumed);
        Assert.Equal(-1, ns.ReadNextId(IpcType.Msg));
        ns.CheckInvariants();
    }

    [Fact]
    public void Create_after_next_id_continues_the_cyclic_series_around_it()
    {
        var ns = new IpcNamespaceState();
        ns.WriteNextId(IpcType.Msg, 5, Root);
        Assert.Equal(5, ns.CreatePrivate());

        var ids = Enumerable.Range(0, 6).Select(_ => ns.CreatePrivate()).ToArray();

        Assert.Equal([0, 1, 2, 3, 4, 6], ids);
        ns.CheckInvariants();
    }

    [Fact]
    public void Create_with_next_id_seq_does_not_change_cyclic_seq()
    {
        var ns = new IpcNamespaceState();
        ns.WriteNextId(IpcType.Msg, (500 << 15) | 3, Root);
        Assert.Equal((500 << 15) | 3, ns.CreatePrivate());

        Assert.Equal(0, ns.CreatePrivate());
        Assert.Equal(0, ns.Messages.Seq);
    }

    [Fact]
    public void Create_at_limit_fails_ENOSPC_and_keeps_next_id()
    {
        var ns = new IpcNamespaceState(new IpcLimits { Msgmni = 1 });
        ns.CreatePrivate();
        ns.WriteNextId(IpcType.Msg, 9, Root);

        var r = ns.Get(IpcType.Msg, Private, Creat, 0, Root);

        Assert.Equal(Errno.ENOSPC, r.Error);
        Assert.Equal(9, ns.ReadNextId(IpcType.Msg));
        ns.CheckInvariants();
    }

    [Fact]
    public void Create_with_next_id_and_every_higher_index_busy_fails_ENOSPC_and_consumes()
    {
        // Model choice: Linux's idr_alloc(start, end = 0) would go past 32767 here (see IpcIds.Add).
        var ns = new IpcNamespaceState();
        ns.WriteNextId(IpcType.Msg, 32767, Root);
        Assert.Equal(32767, ns.CreatePrivate());
        ns.WriteNextId(IpcType.Msg, (4 << 15) | 32767, Root);

        var r = ns.Get(IpcType.Msg, Private, Creat, 0, Root);

        Assert.Equal(Errno.ENOSPC, r.Error);
        Assert.Equal(-1, ns.ReadNextId(IpcType.Msg));
        ns.CheckInvariants();
    }

    [Fact]
    public void Create_of_other_type_does_not_consume_next_id()
    {
        var ns = new IpcNamespaceState();
        ns.WriteNextId(IpcType.Msg, 7, Root);

        Assert.Equal(0, ns.CreatePrivate(IpcType.Sem));
        Assert.Equal(0, ns.CreatePrivate(IpcType.Shm));
        Assert.Equal(7, ns.ReadNextId(IpcType.Msg));
        Assert.Equal(7, ns.CreatePrivate(IpcType.Msg));
    }

    [Fact]
    public void Get_of_existing_key_does_not_consume_next_id()
    {
        var ns = new IpcNamespaceState();
        var id = ns.Get(IpcType.Msg, 42, Creat | Oct(600), 0, Root).Id;
        ns.WriteNextId(IpcType.Msg, 9, Root);

        Assert.Equal(id, ns.Get(IpcType.Msg, 42, Creat, 0, Root).Id);
        Assert.Equal(Errno.EEXIST, ns.Get(IpcType.Msg, 42, Creat | Excl, 0, Root).Error);
        Assert.Equal(Errno.ENOENT, ns.Get(IpcType.Msg, 43, 0, 0, Root).Error);
        Assert.Equal(9, ns.ReadNextId(IpcType.Msg));
    }

    // Creations that fail before ipc_addid() leave next_id alone.
    [Theory]
    [InlineData(IpcType.Sem, -1L)]           // ksys_semget(): nsems < 0
    [InlineData(IpcType.Sem, 32001L)]        // ksys_semget(): nsems > SEMMSL
    [InlineData(IpcType.Sem, 0L)]            // newary(): nsems 0
    [InlineData(IpcType.Shm, 0L)]            // newseg(): size < SHMMIN
    [InlineData(IpcType.Shm, -1L)]           // newseg(): SIZE_MAX > shmmax
    public void Create_failing_type_checks_keeps_next_id(IpcType type, long arg)
    {
        var ns = new IpcNamespaceState();
        ns.WriteNextId(type, 11, Root);

        Assert.Equal(Errno.EINVAL, ns.Get(type, Private, Creat, arg, Root).Error);
        Assert.Equal(11, ns.ReadNextId(type));
    }

    [Theory]
    [InlineData(IpcType.Sem)]
    [InlineData(IpcType.Shm)]
    public void Create_failing_ENOSPC_on_semmns_or_shmall_keeps_next_id(IpcType type)
    {
        var ns = new IpcNamespaceState(new IpcLimits { Semmns = 0, Shmall = 0 });
        ns.WriteNextId(type, 11, Root);

        Assert.Equal(Errno.ENOSPC, ns.Get(type, Private, Creat, 1, Root).Error);
        Assert.Equal(11, ns.ReadNextId(type));
    }
}
