using Actors.Kernel.Pid;
using Xunit;
using Xunit.Abstractions;
using static Actors.Kernel.Tests.Pid.PidMapSupport;

namespace Actors.Kernel.Tests.Pid;

/// <summary>Seeded random sequences of reserve/commit/release and sysctl writes on one <see cref="PidMap"/>, compared
/// step by step with a naive set-based reference of spec 2.1-2.6, with <see cref="PidMap.CheckInvariants"/> after
/// every step. Small pid_max values make the RESERVED_PIDS wrap, EAGAIN and the bitmap's word boundaries common.</summary>
public class PidMapRandomizedTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 305, 3000)]
    [InlineData(7, 340, 3000)]
    [InlineData(2007, 700, 3000)]
    [InlineData(6140, 1100, 3000)]
    [InlineData(424242, 320, 5000)]
    public void Random_sequence_matches_reference_and_keeps_invariants(int seed, int pidMax, int steps)
    {
        output.WriteLine($"seed={seed} pid_max={pidMax} steps={steps}");
        var rng = new Random(seed);
        var map = NewMap(pidMax, level: 1);
        var oracle = new ReferenceIdr(pidMax);

        for (var step = 0; step < steps; step++)
        {
            var roll = rng.Next(1000);
            string what;
            if (roll < 400)
            {
                what = "alloc cyclic";
                AllocBoth(map, oracle, null, innermost: true, step);
            }
            else if (roll < 500)
            {
                var visible = map.Visible.Select(v => v.Nr).ToArray();
                int tid = rng.Next(4) switch
                {
                    0 when visible.Length > 0 => visible[rng.Next(visible.Length)],
                    1 => 1,
                    _ => rng.Next(-2, map.PidMax + 3),
                };
                what = $"alloc set_tid {tid}";
                AllocBoth(map, oracle, tid, innermost: true, step);
            }
            else if (roll < 700)
            {
                var visible = map.Visible.Select(v => v.Nr).ToArray();
                if (visible.Length == 0)
                {
                    continue;
                }
                var nr = visible[rng.Next(visible.Length)];
                var innermost = rng.Next(4) != 0;
                what = $"free {nr}";
                Assert.Equal(oracle.Release(nr, innermost), map.Release(nr, innermost));
            }
            else if (roll < 760)
            {
                int? tid = rng.Next(2) == 0 ? null : rng.Next(1, 20);
                var innermost = rng.Next(3) != 0;
                what = $"failed fork {tid?.ToString() ?? "cyclic"} innermost={innermost}";
                var e1 = map.Reserve(tid, out var n1);
                var e2 = oracle.Reserve(tid, out var n2);
                Assert.Equal((e2, n2), (e1, n1));
                if (e1 == Errno.None)
                {
                    map.CheckInvariants();
                    Assert.Equal(oracle.Release(n1, innermost), map.Release(n1, innermost));
                }
            }
            else if (roll < 820)
            {
                long v = rng.Next(-2, map.PidMax + 3);
                what = $"ns_last_pid={v}";
                Assert.Equal(oracle.WriteLastPid(v), map.WriteLastPid(v));
            }
            else if (roll < 860)
            {
                long v = rng.Next(295, pidMax + 400);
                what = $"pid_max={v}";
                Assert.Equal(oracle.WritePidMax(v), map.WritePidMax(v, possibleCpus: 2));
            }
            else if (roll < 900)
            {
                what = "child reaper";
                map.HasChildReaper = true;
                oracle.HasChildReaper = true;
            }
            else if (roll < 902 && step > steps / 2)
            {
                what = "disable allocation";
                map.DisableAllocation();
                oracle.Adding = false;
            }
            else
            {
                what = "alloc cyclic as outer level";
                AllocBoth(map, oracle, null, innermost: false, step);
            }

            try
            {
                map.CheckInvariants();
                Assert.Equal(oracle.Cursor, map.Cursor);
                Assert.Equal(oracle.Cursor - 1, map.LastPid);
                Assert.Equal(oracle.Visible.Count, map.Count);
                Assert.Equal(oracle.Adding, map.Adding);
                Assert.Equal(oracle.PidMax, map.PidMax);
                Assert.Equal(oracle.Taken, map.TakenNumbers);
                Assert.Equal(oracle.Visible, map.Visible.Select(v => v.Nr));
            }
            catch
            {
                output.WriteLine($"diverged at step {step}: {what}");
                throw;
            }
        }
        output.WriteLine($"end: count={map.Count} cursor={map.Cursor} pid_max={map.PidMax} adding={map.Adding}");
    }

    private static void AllocBoth(PidMap map, ReferenceIdr oracle, int? tid, bool innermost, int step)
    {
        var e1 = map.Reserve(tid, out var n1);
        var e2 = oracle.Reserve(tid, out var n2);
        Assert.True((e2, n2) == (e1, n1), $"step {step}: reserve {tid}: model {e1} {n1}, reference {e2} {n2}");
        if (e1 != Errno.None)
        {
            return;
        }
        map.CheckInvariants();
        var c1 = map.Commit(n1, PidAt(map.Ns, n1), innermost);
        var c2 = oracle.Commit(n1, innermost);
        Assert.Equal(c2, c1);
        if (c1 != Errno.None)
        {
            // alloc_pid's error path for a pid that could not be made visible.
            Assert.Equal(oracle.Release(n1, innermost), map.Release(n1, innermost));
        }
    }

    /// <summary>Spec 2.1-2.6 written as directly as possible over sorted sets, independent of the model's bitmap.</summary>
    private sealed class ReferenceIdr(int pidMax)
    {
        private const int ReservedPids = 300;
        private readonly SortedSet<int> _taken = [];

        public SortedSet<int> Visible { get; } = [];
        public IEnumerable<int> Taken => _taken;
        public int Cursor { get; private set; }
        public int PidMax { get; private set; } = pidMax;
        public bool Adding { get; set; } = true;
        public bool HasChildReaper { get; set; }

        public Errno Reserve(int? tid, out int nr)
        {
            nr = 0;
            if (tid is int t)
            {
                if (t < 1 || t >= PidMax)
                {
                    return Errno.EINVAL;
                }
                if (t != 1 && !HasChildReaper)
                {
                    return Errno.EINVAL;
                }
                if (!_taken.Add(t))
                {
                    return Errno.EEXIST;
                }
                nr = t;
                return Errno.None;
            }
            var pidMin = Cursor > ReservedPids ? ReservedPids : 1;
            var start = Math.Max(Cursor, pidMin);
            var candidates = Enumerable.Range(start, Math.Max(0, PidMax - start))
                .Concat(Enumerable.Range(pidMin, Math.Max(0, PidMax - pidMin)));
            foreach (var n in candidates)
            {
                if (_taken.Add(n))
                {
                    nr = n;
                    Cursor = n + 1;
                    return Errno.None;
                }
            }
            return Errno.EAGAIN;
        }

        public Errno Commit(int nr, bool innermost)
        {
            if (innermost && !Adding)
            {
                return Errno.ENOMEM;
            }
            Visible.Add(nr);
            return Errno.None;
        }

        public FreeOutcome Release(int nr, bool innermost)
        {
            Assert.True(_taken.Remove(nr));
            if (Visible.Remove(nr))
            {
                if (Visible.Count == 0 && Adding)
                {
                    Adding = false;
                    return FreeOutcome.NamespaceDied;
                }
                return FreeOutcome.Freed;
            }
            if (innermost && Visible.Count == 0 && Adding)
            {
                Cursor = 0;
            }
            return FreeOutcome.Unreserved;
        }

        public Errno WriteLastPid(long v)
        {
            if (v < 0 || v > PidMax)
            {
                return Errno.EINVAL;
            }
            Cursor = (int)v + 1;
            return Errno.None;
        }

        public Errno WritePidMax(long v)
        {
            if (v < 301 || v > 4194304)
            {
                return Errno.EINVAL;
            }
            PidMax = (int)v;
            return Errno.None;
        }
    }
}
