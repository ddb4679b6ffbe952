using Actors.Kernel.Ipc;
using Xunit;
using static Actors.Kernel.Tests.Ipc.IpcTestSupport;

namespace Actors.Kernel.Tests.Ipc;

/// <summary>
/// Spec 4.4 type checks: ipc/sem.c:ksys_semget(), newary(), sem_more_checks();
/// ipc/shm.c:newseg(), shm_more_checks() (shmget has no pre-check: size rules apply only when creating).
/// </summary>
public class IpcSemShmTests
{
    // (key exists with nsems 5?, key, flags, nsems, expected)
    [Theory]
    [InlineData(false, Private, 0x200, -1L, Errno.EINVAL)]           // nsems < 0
    [InlineData(false, Private, 0x200, 32001L, Errno.EINVAL)]        // nsems > SEMMSL
    [InlineData(false, Private, 0x200, 0L, Errno.EINVAL)]            // creating with nsems 0
    [InlineData(false, Private, 0x200, 1L, Errno.None)]
    [InlineData(false, Private, 0x200, 32000L, Errno.None)]          // nsems == SEMMSL
    [InlineData(false, 42, 0x200, 0L, Errno.EINVAL)]                 // key missing: create path, nsems 0
    [InlineData(true, 42, 0, 0L, Errno.None)]                        // existing set: nsems 0 is fine
    [InlineData(true, 42, 0, 5L, Errno.None)]
    [InlineData(true, 42, 0, 6L, Errno.EINVAL)]                      // more than the set has
    [InlineData(true, 42, 0x600, 6L, Errno.EEXIST)]                  // EEXIST before sem_more_checks
    [InlineData(true, 42, 0x600, -1L, Errno.EINVAL)]                 // range check before the lookup
    [InlineData(true, 42, 0x600, 32001L, Errno.EINVAL)]
    [InlineData(true, 42, 0x200, 4294967297L, Errno.None)]           // int nsems: 2^32 + 1 truncates to 1
    public void Get_sem_checks_nsems(bool exists, int key, int flags, long nsems, Errno expected)
    {
        var ns = new IpcNamespaceState();
        if (exists)
        {
            Assert.True(ns.Get(IpcType.Sem, 42, Creat | Oct(600), 5, Root).IsSuccess);
        }

        var r = ns.Get(IpcType.Sem, key, flags, nsems, Root);

        Assert.Equal(expected, r.Error);
        ns.CheckInvariants();
    }

    [Fact]
    public void Get_sem_more_checks_come_before_permission()
    {
        var ns = new IpcNamespaceState();
        ns.Get(IpcType.Sem, 42, Creat | Oct(600), 5, IpcCredentials.User(1000, 100));
        var other = IpcCredentials.User(3000, 300);

        Assert.Equal(Errno.EINVAL, ns.Get(IpcType.Sem, 42, Oct(400), 6, other).Error);
        Assert.Equal(Errno.EACCES, ns.Get(IpcType.Sem, 42, Oct(400), 5, other).Error);
    }

    [Fact]
    public void Get_sem_over_semmns_fails_ENOSPC_until_sets_are_removed()
    {
        var ns = new IpcNamespaceState(new IpcLimits { Semmns = 10 });
        var six = ns.Get(IpcType.Sem, Private, Creat, 6, Root);
        Assert.Equal(0, six.Id);

        Assert.Equal(Errno.ENOSPC, ns.Get(IpcType.Sem, Private, Creat, 5, Root).Error);
        Assert.Equal(1, ns.Get(IpcType.Sem, Private, Creat, 4, Root).Id);      // 6 + 4 == semmns is allowed
        Assert.Equal(10, ns.UsedSems);
        Assert.Equal(Errno.ENOSPC, ns.Get(IpcType.Sem, Private, Creat, 1, Root).Error);

        Assert.Equal(Errno.None, ns.Remove(IpcType.Sem, six.Id, Root));
        Assert.Equal(4, ns.UsedSems);
        Assert.True(ns.Get(IpcType.Sem, Private, Creat, 5, Root).IsSuccess);
        ns.CheckInvariants();
    }

    [Fact]
    public void Get_sem_semmsl_limit_follows_limits()
    {
        var ns = new IpcNamespaceState(new IpcLimits { Semmsl = 250 });

        Assert.Equal(Errno.EINVAL, ns.Get(IpcType.Sem, Private, Creat, 251, Root).Error);
        Assert.True(ns.Get(IpcType.Sem, Private, Creat, 250, Root).IsSuccess);
    }

    // (key exists with size 4096?, key, flags, size, expected)
    [Theory]
    [InlineData(false, Private, 0x200, 0L, Errno.EINVAL)]            // size < SHMMIN
    [InlineData(false, Private, 0x200, 1L, Errno.None)]
    [InlineData(false, Private, 0x200, -1L, Errno.EINVAL)]           // SIZE_MAX > shmmax
    [InlineData(false, Private, 0x200, -16777217L, Errno.None)]      // = shmmax (real Linux may then fail ENOMEM in shmem accounting; not modelled)
    [InlineData(false, Private, 0x200, -16777216L, Errno.EINVAL)]    // shmmax + 1
    [InlineData(false, 42, 0, 0L, Errno.ENOENT)]                     // lookup first: no size check
    [InlineData(true, 42, 0, 0L, Errno.None)]                        // shmget(key, 0, 0) on an existing segment
    [InlineData(true, 42, 0, 1L, Errno.None)]
    [InlineData(true, 42, 0, 4096L, Errno.None)]
    [InlineData(true, 42, 0, 4097L, Errno.EINVAL)]                   // shm_more_checks(): segment too small
    [InlineData(true, 42, 0, -1L, Errno.EINVAL)]
    [InlineData(true, 42, 0x600, 0L, Errno.EEXIST)]                  // EEXIST before any size rule
    [InlineData(true, 42, 0x600, -1L, Errno.EEXIST)]
    public void Get_shm_checks_size(bool exists, int key, int flags, long size, Errno expected)
    {
        var ns = new IpcNamespaceState();
        if (exists)
        {
            Assert.True(ns.Get(IpcType.Shm, 42, Creat | Oct(600), 4096, Root).IsSuccess);
        }

        var r = ns.Get(IpcType.Shm, key, flags, size, Root);

        Assert.Equal(expected, r.Error);
        ns.CheckInvariants();
    }

    [Fact]
    public void Get_shm_over_shmmax_limit_fails_EINVAL_only_when_creating()
    {
        var ns = new IpcNamespaceState(new IpcLimits { Shmmax = 4096 });

        Assert.Equal(Errno.EINVAL, ns.Get(IpcType.Shm, 42, Creat, 4097, Root).Error);
        Assert.Equal(0, ns.Get(IpcType.Shm, 42, Creat, 4096, Root).Id);
        Assert.Equal(Errno.EINVAL, ns.Get(IpcType.Shm, 42, Creat, 4097, Root).Error);   // now shm_more_checks
    }

    [Fact]
    public void Get_shm_over_shmall_fails_ENOSPC_until_segments_are_removed()
    {
        var ns = new IpcNamespaceState(new IpcLimits { Shmall = 3 });
        var two = ns.Get(IpcType.Shm, Private, Creat, 8192, Root);
        Assert.Equal(2UL, ns.ShmTotPages);

        Assert.Equal(Errno.ENOSPC, ns.Get(IpcType.Shm, Private, Creat, 4097, Root).Error);   // 2 pages
        Assert.True(ns.Get(IpcType.Shm, Private, Creat, 1, Root).IsSuccess);                 // 1 page
        Assert.Equal(3UL, ns.ShmTotPages);

        Assert.Equal(Errno.None, ns.Remove(IpcType.Shm, two.Id, Root));
        Assert.True(ns.Get(IpcType.Shm, Private, Creat, 8192, Root).IsSuccess);
        ns.CheckInvariants();
    }

    [Theory]
    [InlineData(1L, 1UL)]
    [InlineData(4096L, 1UL)]
    [InlineData(4097L, 2UL)]
    [InlineData(1048576L, 256UL)]
    public void Get_shm_accounts_rounded_up_pages(long size, ulong pages)
    {
        var ns = new IpcNamespaceState();

        var r = ns.Get(IpcType.Shm, Private, Creat, size, Root);

        Assert.True(r.IsSuccess);
        Assert.Equal(pages, ns.ShmTotPages);
        Assert.True(ns.SharedMemory.TryGet(r.Id, out var obj));
        Assert.Equal((ulong)size, obj.Size);
    }

    [Fact]
    public void Get_msg_ignores_the_size_argument()
    {
        var ns = new IpcNamespaceState();

        Assert.Equal(0, ns.Get(IpcType.Msg, Private, Creat, -12345, Root).Id);
    }
}
