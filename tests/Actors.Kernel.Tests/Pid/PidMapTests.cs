using Actors.Kernel.Pid;
using Xunit;
using static Actors.Kernel.Tests.Pid.PidMapSupport;

namespace Actors.Kernel.Tests.Pid;

/// <summary>Spec 2.1-2.6: one level of kernel/pid.c:alloc_pid() and free_pid(), and the ns_last_pid / pid_max
/// sysctls, on the <see cref="PidMap"/> state class. Invariants are checked after every step.</summary>
public class PidMapTests
{
    // ---- 2.3 cyclic allocation ------------------------------------------------------------------------------------

    [Theory]
    [InlineData(null, new int[0], new[] { 1, 2, 3 })]
    [InlineData(99, new int[0], new[] { 100, 101, 102 })]
    [InlineData(99, new[] { 100, 101 }, new[] { 102, 103 })]
    [InlineData(0, new[] { 1, 2, 3 }, new[] { 4, 5 })]
    [InlineData(0, new[] { 2 }, new[] { 1, 3, 4 })]
    [InlineData(null, new[] { 1, 3 }, new[] { 2, 4, 5 })]
    [InlineData(62, new[] { 63, 64, 65 }, new[] { 66, 67 })]
    [InlineData(127, new[] { 128, 129, 191, 192 }, new[] { 130, 131 })]
    [InlineData(1000, new int[0], new[] { 1001, 1002 })]
    public void Reserve_cyclic_takes_lowest_free_number_from_cursor(int? lastPid, int[] taken, int[] expected)
    {
        var map = NewMap();
        map.HasChildReaper = true;
        foreach (var nr in taken)
        {
            Alloc(map, nr);
        }
        if (lastPid is int v)
        {
            Assert.Equal(Errno.None, map.WriteLastPid(v));
        }

        foreach (var want in expected)
        {
            Assert.Equal(want, Alloc(map));
            Assert.Equal(want + 1, map.Cursor);
            Assert.Equal(want, map.LastPid);
        }
        Assert.Equal(taken.Length + expected.Length, map.Count);
        map.CheckInvariants();
    }

    [Fact]
    public void Reserve_cyclic_does_not_reuse_freed_number_before_cursor_comes_round()
    {
        var map = NewMap(pidMax: 305);
        Assert.Equal([1, 2, 3], AllocMany(map, 3));

        Assert.Equal(FreeOutcome.Freed, map.Release(2, innermost: true));
        map.CheckInvariants();

        Assert.Equal(4, Alloc(map));
        Assert.False(map.IsTaken(2));
    }

    [Theory]
    // (pid_max, ns_last_pid written, numbers taken, expected errno, expected number)
    [InlineData(305, 304, new int[0], Errno.None, 300)]                          // cursor 305 > 300: wrap to 300
    [InlineData(305, 300, new int[0], Errno.None, 301)]
    [InlineData(305, 299, new int[0], Errno.None, 300)]                          // cursor 300 is not > 300: pid_min 1
    [InlineData(305, 299, new[] { 300, 301, 302, 303, 304 }, Errno.None, 1)]    // ... so the wrap goes to 1
    [InlineData(305, 300, new[] { 300, 301, 302, 303, 304 }, Errno.EAGAIN, 0)]  // cursor 301: 1..299 are never tried
    [InlineData(305, 302, new[] { 303, 304 }, Errno.None, 300)]
    [InlineData(305, 302, new[] { 300, 303, 304 }, Errno.None, 301)]
    [InlineData(400, 400, new int[0], Errno.None, 300)]                          // ns_last_pid = pid_max
    [InlineData(32768, 32767, new int[0], Errno.None, 300)]
    [InlineData(32768, 32767, new[] { 300, 301 }, Errno.None, 302)]
    [InlineData(32768, 0, new[] { 1, 2 }, Errno.None, 3)]
    public void Reserve_cyclic_wraps_to_RESERVED_PIDS_once_cursor_passed_it(int pidMax, int lastPid, int[] taken, Errno errno, int nr)
    {
        var map = NewMap(pidMax);
        map.HasChildReaper = true;
        foreach (var t in taken)
        {
            Alloc(map, t);
        }
        Assert.Equal(Errno.None, map.WriteLastPid(lastPid));
        var cursor = map.Cursor;
        var takenBefore = map.Taken;

        Assert.Equal(errno, map.Reserve(null, out var got));

        Assert.Equal(nr, got);
        Assert.Equal(errno == Errno.None ? nr + 1 : cursor, map.Cursor);
        Assert.Equal(takenBefore + (errno == Errno.None ? 1 : 0), map.Taken);
        map.CheckInvariants();
    }

    [Theory]
    [InlineData(301)]
    [InlineData(305)]
    [InlineData(400)]
    [InlineData(700)]
    public void Reserve_cyclic_fills_every_number_below_pid_max_then_fails_EAGAIN(int pidMax)
    {
        var map = NewMap(pidMax);

        var got = AllocMany(map, pidMax - 1);

        Assert.Equal(Enumerable.Range(1, pidMax - 1), got);
        var cursor = map.Cursor;
        Assert.Equal(Errno.EAGAIN, map.Reserve(null, out var nr));
        Assert.Equal(0, nr);
        Assert.Equal(cursor, map.Cursor);
        Assert.Equal(pidMax - 1, map.Taken);
        map.CheckInvariants();

        // A free number below RESERVED_PIDS is not found once the cursor went past 300.
        Assert.Equal(FreeOutcome.Freed, map.Release(5, innermost: true));
        Assert.Equal(Errno.EAGAIN, map.Reserve(null, out _));
        // A free number at or above 300 is.
        Assert.Equal(FreeOutcome.Freed, map.Release(300, innermost: true));
        Assert.Equal(300, Alloc(map));
        map.CheckInvariants();
    }

    [Fact]
    public void Reserve_cyclic_respects_each_namespace_own_pid_max()
    {
        var outer = NewMap(pidMax: 305);
        var inner = NewMap(pidMax: PidMap.PidMaxLimit, level: 1);
        AllocMany(outer, 304);
        AllocMany(inner, 304);

        Assert.Equal(Errno.EAGAIN, outer.Reserve(null, out _));
        Assert.Equal(305, Alloc(inner));
        outer.CheckInvariants();
        inner.CheckInvariants();
    }

    [Fact]
    public void Reserve_cyclic_after_pid_max_lowered_wraps_below_new_bound()
    {
        var map = NewMap();
        map.HasChildReaper = true;
        Alloc(map, 450);
        Assert.Equal(Errno.None, map.WriteLastPid(398));
        Assert.Equal(Errno.None, map.WritePidMax(400, possibleCpus: 2));

        Assert.Equal(399, Alloc(map));
        Assert.Equal(300, Alloc(map));
        // A number above the new bound stays allocated, but cannot be requested any more.
        Assert.True(map.IsTaken(450));
        Assert.Equal(Errno.EINVAL, map.Reserve(401, out _));
        map.CheckInvariants();
    }

    [Fact]
    public void Reserve_cyclic_beyond_initial_bitmap_grows_it()
    {
        var map = NewMap(pidMax: PidMap.PidMaxLimit);
        Assert.Equal(Errno.None, map.WriteLastPid(100_000));

        Assert.Equal(100_001, Alloc(map));
        Assert.Equal(100_002, Alloc(map));
        Assert.Equal([100_001, 100_002], map.TakenNumbers);
        map.CheckInvariants();
    }

    // ---- 2.1 requested numbers (set_tid) -------------------------------------------------------------------------

    [Theory]
    // Map: pid_max 1000, numbers 1 and 7 taken. (tid, child reaper set, expected)
    [InlineData(0, true, Errno.EINVAL)]
    [InlineData(-1, true, Errno.EINVAL)]
    [InlineData(int.MinValue, true, Errno.EINVAL)]
    [InlineData(1000, true, Errno.EINVAL)]          // tid >= pid_max
    [InlineData(1001, true, Errno.EINVAL)]
    [InlineData(int.MaxValue, true, Errno.EINVAL)]
    [InlineData(999, true, Errno.None)]
    [InlineData(5, true, Errno.None)]
    [InlineData(300, true, Errno.None)]
    [InlineData(1, true, Errno.EEXIST)]
    [InlineData(7, true, Errno.EEXIST)]
    [InlineData(5, false, Errno.EINVAL)]            // no init: only 1 is accepted
    [InlineData(7, false, Errno.EINVAL)]            // the reaper check comes before the busy check
    [InlineData(1000, false, Errno.EINVAL)]
    [InlineData(1, false, Errno.EEXIST)]
    public void Reserve_requested_checks_range_then_reaper_then_busy(int tid, bool hasReaper, Errno expected)
    {
        var map = NewMap(pidMax: 1000);
        Alloc(map, 1);
        map.HasChildReaper = true;
        Alloc(map, 7);
        map.HasChildReaper = hasReaper;
        var cursor = map.Cursor;
        var taken = map.Taken;

        Assert.Equal(expected, map.Reserve(tid, out var nr));

        Assert.Equal(expected == Errno.None ? tid : 0, nr);
        Assert.Equal(taken + (expected == Errno.None ? 1 : 0), map.Taken);
        Assert.Equal(expected == Errno.None, map.IsTaken(tid) && tid != 1 && tid != 7);
        Assert.Equal(cursor, map.Cursor);
        Assert.Equal(2, map.Count); // reserved, not visible
        map.CheckInvariants();
    }

    [Fact]
    public void Reserve_requested_does_not_move_cursor_nor_ns_last_pid()
    {
        var map = NewMap();
        Assert.Equal(1, Alloc(map));
        map.HasChildReaper = true;

        Assert.Equal(500, Alloc(map, 500));
        Assert.Equal(2, map.Cursor);
        Assert.Equal(1, map.LastPid);
        Assert.Equal(2, Alloc(map));
    }

    [Fact]
    public void Reserve_requested_1_in_fresh_namespace_leaves_cursor_at_0()
    {
        var map = NewMap(level: 1);

        Assert.Equal(1, Alloc(map, 1));
        Assert.Equal(0, map.Cursor);
        Assert.Equal(-1, map.LastPid);
        Assert.Equal(2, Alloc(map)); // cyclic from 1: 1 is busy
    }

    // ---- 2.1 step 5: commit --------------------------------------------------------------------------------------

    [Theory]
    [InlineData(true, true, Errno.None)]
    [InlineData(true, false, Errno.None)]
    [InlineData(false, true, Errno.ENOMEM)]     // only the innermost level checks PIDNS_ADDING
    [InlineData(false, false, Errno.None)]
    public void Commit_fails_ENOMEM_only_at_innermost_level_without_adding(bool adding, bool innermost, Errno expected)
    {
        var map = NewMap(level: 1);
        Assert.Equal(1, Alloc(map));
        if (!adding)
        {
            map.DisableAllocation();
        }
        Assert.Equal(Errno.None, map.Reserve(null, out var nr));
        var pid = PidAt(map.Ns, nr);

        Assert.Equal(expected, map.Commit(nr, pid, innermost));

        Assert.True(map.IsTaken(nr));
        Assert.Equal(expected == Errno.None ? pid : null, map.Find(nr));
        Assert.Equal(expected == Errno.None ? 2 : 1, map.Count);
        Assert.Equal(adding, map.Adding);
        map.CheckInvariants();
    }

    [Fact]
    public void Commit_of_number_not_reserved_throws()
    {
        var map = NewMap();

        Assert.Throws<InvariantViolationException>(() => map.Commit(3, PidAt(map.Ns, 3), innermost: true));
    }

    [Fact]
    public void Commit_of_number_already_visible_throws()
    {
        var map = NewMap();
        var nr = Alloc(map);

        Assert.Throws<InvariantViolationException>(() => map.Commit(nr, PidAt(map.Ns, nr), innermost: true));
        Assert.Equal(1, map.Count);
    }

    [Fact]
    public void CheckInvariants_pid_with_another_number_at_this_level_throws()
    {
        var map = NewMap();
        Assert.Equal(Errno.None, map.Reserve(null, out var nr));
        map.Commit(nr, PidAt(map.Ns, nr + 1), innermost: true);

        Assert.Throws<InvariantViolationException>(map.CheckInvariants);
    }

    [Fact]
    public void CheckInvariants_destroyed_namespace_holding_numbers_throws()
    {
        var map = new PidMap(new NsHandle(1, 0, null, initialRefs: 1), 32768);
        Alloc(map);

        map.Ns.Put();

        Assert.True(map.Ns.Destroyed);
        Assert.Throws<InvariantViolationException>(map.CheckInvariants);
    }

    // ---- 2.4 release ---------------------------------------------------------------------------------------------

    [Fact]
    public void Release_of_visible_number_frees_it_and_decrements_count()
    {
        var map = NewMap();
        Assert.Equal([1, 2], AllocMany(map, 2));
        var cursor = map.Cursor;

        Assert.Equal(FreeOutcome.Freed, map.Release(2, innermost: true));

        Assert.False(map.IsTaken(2));
        Assert.Null(map.Find(2));
        Assert.Equal(1, map.Count);
        Assert.Equal(1, map.Taken);
        Assert.Equal(cursor, map.Cursor);
        Assert.True(map.Adding);
        map.CheckInvariants();
    }

    [Fact]
    public void Release_of_reserved_number_unreserves_it_without_touching_count()
    {
        var map = NewMap();
        Alloc(map);
        Assert.Equal(Errno.None, map.Reserve(null, out var nr));
        Assert.Equal(2, map.Taken);

        Assert.Equal(FreeOutcome.Unreserved, map.Release(nr, innermost: true));

        Assert.False(map.IsTaken(nr));
        Assert.Equal(1, map.Count);
        Assert.Equal(1, map.Taken);
        Assert.Equal(3, map.Cursor); // a failed fork after the first does not reset the cursor
        map.CheckInvariants();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(64)]
    [InlineData(100_000)]
    public void Release_of_free_number_throws(int nr)
    {
        var map = NewMap();
        Alloc(map);

        Assert.Throws<InvariantViolationException>(() => map.Release(nr, innermost: true));
        map.CheckInvariants();
    }

    // ---- 2.1 step 4: the first pid of a namespace failed inside alloc_pid ---------------------------------------

    [Theory]
    // (init exists, allocation disabled, released at the innermost level, expected cursor after release)
    [InlineData(false, false, true, 0)]     // the namespace's first pid failed: reset, next is 1 again
    [InlineData(false, false, false, 2)]    // an outer level of someone else's pid: no reset
    [InlineData(true, false, true, 3)]      // not the first pid
    [InlineData(false, true, true, 2)]      // not PIDNS_ADDING any more
    public void Release_of_reserved_first_pid_resets_cursor_only_in_fresh_innermost_namespace(
        bool initExists, bool disabled, bool innermost, int expectedCursor)
    {
        var map = NewMap(level: 1);
        if (initExists)
        {
            Alloc(map);
        }
        if (disabled)
        {
            map.DisableAllocation();
        }
        Assert.Equal(Errno.None, map.Reserve(null, out var nr));

        Assert.Equal(FreeOutcome.Unreserved, map.Release(nr, innermost));

        Assert.Equal(expectedCursor, map.Cursor);
        map.CheckInvariants();
        Assert.Equal(Errno.None, map.Reserve(null, out var next));
        Assert.Equal(expectedCursor == 0 ? 1 : expectedCursor, next);
    }

    // ---- 2.4 special case: the count returns to PIDNS_ADDING ------------------------------------------------------

    [Fact]
    public void Release_of_first_and_only_visible_pid_kills_namespace_for_good()
    {
        var map = NewMap(level: 1);
        Assert.Equal(1, Alloc(map));

        Assert.Equal(FreeOutcome.NamespaceDied, map.Release(1, innermost: true));

        Assert.False(map.Adding);
        Assert.Equal(0, map.Count);
        map.CheckInvariants();
        // Later forks reserve a number but fail ENOMEM when making it visible.
        Assert.Equal(Errno.None, map.Reserve(null, out var nr));
        Assert.Equal(Errno.ENOMEM, map.Commit(nr, PidAt(map.Ns, nr), innermost: true));
        Assert.Equal(FreeOutcome.Unreserved, map.Release(nr, innermost: true));
        Assert.Equal(0, map.Taken);
        map.CheckInvariants();
    }

    [Fact]
    public void Release_of_last_pid_dies_namespace_whenever_count_returns_to_adding()
    {
        var map = NewMap(level: 1);
        AllocMany(map, 2);

        Assert.Equal(FreeOutcome.Freed, map.Release(1, innermost: true));
        Assert.True(map.Adding);
        Assert.Equal(FreeOutcome.NamespaceDied, map.Release(2, innermost: true));
        Assert.False(map.Adding);
        map.CheckInvariants();
    }

    [Fact]
    public void Release_of_last_pid_after_disable_allocation_is_plain_free()
    {
        var map = NewMap(level: 1);
        Alloc(map);
        map.DisableAllocation();

        Assert.Equal(FreeOutcome.Freed, map.Release(1, innermost: true));
        Assert.Equal(0, map.Count);
        Assert.False(map.Adding);
        map.CheckInvariants();
    }

    [Fact]
    public void DisableAllocation_keeps_numbers_and_count()
    {
        var map = NewMap();
        AllocMany(map, 3);

        map.DisableAllocation();

        Assert.False(map.Adding);
        Assert.Equal(3, map.Count);
        Assert.Equal([1, 2, 3], map.Visible.Select(v => v.Nr));
        map.CheckInvariants();
    }

    // ---- 2.6 ns_last_pid -----------------------------------------------------------------------------------------

    [Fact]
    public void LastPid_of_fresh_namespace_reads_minus_1()
    {
        var map = NewMap(level: 1);

        Assert.Equal(-1, map.LastPid);
        Alloc(map);
        Assert.Equal(1, map.LastPid);
    }

    [Theory]
    [InlineData(-1L, Errno.EINVAL)]
    [InlineData(long.MinValue, Errno.EINVAL)]
    [InlineData(0L, Errno.None)]
    [InlineData(1L, Errno.None)]
    [InlineData(299L, Errno.None)]
    [InlineData(32767L, Errno.None)]
    [InlineData(32768L, Errno.None)]         // = pid_max is allowed
    [InlineData(32769L, Errno.EINVAL)]
    [InlineData(2147483648L, Errno.EINVAL)]
    [InlineData(long.MaxValue, Errno.EINVAL)]
    public void WriteLastPid_accepts_0_to_pid_max(long value, Errno expected)
    {
        var map = NewMap(pidMax: 32768);
        AllocMany(map, 4);

        Assert.Equal(expected, map.WriteLastPid(value));

        Assert.Equal(expected == Errno.None ? value : 4, map.LastPid);
        Assert.Equal(expected == Errno.None ? value + 1 : 5, map.Cursor);
        map.CheckInvariants();
    }

    [Theory]
    // (value written, numbers taken, next cyclic number)
    [InlineData(99, new int[0], 100)]
    [InlineData(99, new[] { 100 }, 101)]         // busy: silently the next free one
    [InlineData(99, new[] { 100, 101, 102 }, 103)]
    [InlineData(0, new[] { 1 }, 2)]              // 0 restarts at 1, lowest free
    [InlineData(0, new int[0], 1)]
    [InlineData(299, new int[0], 300)]
    [InlineData(300, new int[0], 301)]
    [InlineData(32768, new int[0], 300)]         // pid_max: the next allocation wraps to 300
    [InlineData(32767, new[] { 300 }, 301)]
    public void WriteLastPid_positions_next_cyclic_allocation(int value, int[] taken, int expected)
    {
        var map = NewMap(pidMax: 32768);
        map.HasChildReaper = true;
        foreach (var t in taken)
        {
            Alloc(map, t);
        }

        Assert.Equal(Errno.None, map.WriteLastPid(value));
        Assert.Equal(value, map.LastPid);

        Assert.Equal(expected, Alloc(map));
        Assert.Equal(expected, map.LastPid);
    }

    // ---- 2.5 pid_max ---------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(2, 300L, Errno.EINVAL)]
    [InlineData(2, 301L, Errno.None)]                 // max(301, 16)
    [InlineData(2, 32768L, Errno.None)]
    [InlineData(2, 4194304L, Errno.None)]             // PID_MAX_LIMIT
    [InlineData(2, 4194305L, Errno.EINVAL)]
    [InlineData(2, 0L, Errno.EINVAL)]
    [InlineData(2, -1L, Errno.EINVAL)]
    [InlineData(2, long.MaxValue, Errno.EINVAL)]
    [InlineData(1, 301L, Errno.None)]
    [InlineData(37, 300L, Errno.EINVAL)]              // 8 x 37 = 296 < 301
    [InlineData(37, 301L, Errno.None)]
    [InlineData(38, 303L, Errno.EINVAL)]              // 8 x 38 = 304
    [InlineData(38, 304L, Errno.None)]
    [InlineData(64, 511L, Errno.EINVAL)]
    [InlineData(64, 512L, Errno.None)]
    [InlineData(524288, 4194303L, Errno.EINVAL)]      // 8 x cpus = PID_MAX_LIMIT: only the limit itself
    [InlineData(524288, 4194304L, Errno.None)]
    public void WritePidMax_accepts_max_301_8_cpus_to_limit(int cpus, long value, Errno expected)
    {
        var map = NewMap(pidMax: 32768);

        Assert.Equal(expected, map.WritePidMax(value, cpus));

        Assert.Equal(expected == Errno.None ? value : 32768, map.PidMax);
        map.CheckInvariants();
    }

    [Fact]
    public void WritePidMax_higher_lets_cyclic_allocation_continue_past_old_bound()
    {
        var map = NewMap(pidMax: 305);
        AllocMany(map, 304);
        Assert.Equal(Errno.EAGAIN, map.Reserve(null, out _));

        Assert.Equal(Errno.None, map.WritePidMax(400, possibleCpus: 2));

        Assert.Equal(305, Alloc(map));
        Assert.Equal(400, map.PidMax);
    }
}
