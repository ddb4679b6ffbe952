using Actors.Kernel.Ipc;
using Xunit;
using Xunit.Abstractions;
using static Actors.Kernel.Tests.Ipc.IpcTestSupport;

namespace Actors.Kernel.Tests.Ipc;

/// <summary>
/// Seeded random sequences of get/remove/next_id writes on all three types, compared step by step with
/// <see cref="IpcReferenceModel"/>, with <see cref="IpcNamespaceState.CheckInvariants"/> after every step.
/// </summary>
public class IpcRandomizedTests(ITestOutputHelper output)
{
    private static readonly IpcCredentials[] Creds =
    [
        IpcCredentials.Root,
        IpcCredentials.User(1000, 100),
        IpcCredentials.User(2000, 100),
        new(3000, 300, CapIpcOwner: true),
        new(4000, 400, CapSysAdmin: true),
        new(5000, 500, CapCheckpointRestore: true),
    ];

    [Theory]
    [InlineData(1, 32000, 4000)]
    [InlineData(2, 100, 4000)]
    [InlineData(42, 12, 4000)]
    [InlineData(1234, 32000, 4000)]
    [InlineData(20080418, 70, 6000)]
    public void Random_sequence_matches_reference_and_keeps_invariants(int seed, int mni, int steps)
    {
        output.WriteLine($"seed={seed} mni={mni} steps={steps}");
        var rng = new Random(seed);
        var limits = new IpcLimits { Msgmni = mni, Semmni = mni, Shmmni = mni, Semmns = 3L * mni, Shmall = 3UL * (ulong)mni };
        var ns = new IpcNamespaceState(limits);
        var oracle = new IpcReferenceModel(limits);
        var created = 0;

        for (var step = 0; step < steps; step++)
        {
            var type = (IpcType)rng.Next(3);
            var cred = Creds[rng.Next(Creds.Length)];
            var roll = rng.Next(100);
            string what;
            if (roll < 55)
            {
                var key = rng.Next(3) == 0 ? Private : rng.Next(-3, 25);
                var flags = rng.Next(4) switch { 0 => 0, 1 => Creat, 2 => Creat | Excl, _ => Excl };
                flags |= rng.Next(2) == 0 ? Oct(600) : rng.Next(0x200);
                long arg = type switch
                {
                    IpcType.Sem => rng.Next(10) == 0 ? rng.Next(-2, 40000) : rng.Next(0, 8),
                    IpcType.Shm => rng.Next(10) == 0 ? -rng.Next(1, 5) : rng.Next(0, 20000),
                    _ => rng.Next(),
                };
                long? requested = rng.Next(8) switch
                {
                    0 => rng.Next(0, 70),
                    1 => ((long)rng.Next(0, 65536) << 15) | (uint)rng.Next(0, 70),
                    2 => rng.Next(4) == 0 ? -1L : int.MaxValue + 1L,
                    _ => null,
                };
                var expected = oracle.Get(type, key, flags, arg, cred, requested);
                var actual = ns.Get(type, key, flags, arg, cred, requested);
                what = $"Get({type}, key {key}, flags 0x{flags:x}, {arg}, uid {cred.Uid}, requested {requested?.ToString() ?? "-"}) = {actual}";
                Assert.True(
                    (expected.Id, expected.Error, expected.Consumed) == (actual.Id, actual.Error, actual.RequestedIdConsumed),
                    $"step {step}: {what}, reference says {expected}");
                if (actual.Created)
                {
                    created++;
                }
            }
            else if (roll < 90)
            {
                var live = oracle.LiveIds(type);
                var id = live.Count > 0 && rng.Next(4) != 0
                    ? live[rng.Next(live.Count)] + (rng.Next(6) == 0 ? 32768 : 0)
                    : rng.Next(-2, 100);
                var expected = oracle.Remove(type, id, cred);
                var actual = ns.Remove(type, id, cred);
                what = $"Remove({type}, {id}, uid {cred.Uid}) = {actual}";
                Assert.True(expected == actual, $"step {step}: {what}, reference says {expected}");
            }
            else
            {
                var value = rng.Next(5) switch
                {
                    0 => -1L,
                    1 => int.MaxValue,
                    2 => ((long)rng.Next(0, 65536) << 15) | (uint)rng.Next(0, 32768),
                    _ => rng.Next(0, 100),
                };
                var expected = oracle.WriteNextId(type, value, cred);
                var actual = ns.WriteNextId(type, value, cred);
                what = $"WriteNextId({type}, {value}, uid {cred.Uid}) = {actual}";
                Assert.True(expected == actual, $"step {step}: {what}, reference says {expected}");
            }

            ns.CheckInvariants();
            foreach (var t in new[] { IpcType.Msg, IpcType.Sem, IpcType.Shm })
            {
                var ids = ns.Ids(t);
                Assert.True(oracle.State(t) == (ids.Seq, ids.LastIdx, ids.Cursor, ids.NextId, ids.InUse), $"step {step} after {what}: {t} counters");
            }
        }

        foreach (var t in new[] { IpcType.Msg, IpcType.Sem, IpcType.Shm })
        {
            Assert.Equal(oracle.LiveIds(t), ns.LiveObjects(t).Select(o => o.Id));
        }

        output.WriteLine($"created={created} live msg/sem/shm={ns.Messages.InUse}/{ns.Semaphores.InUse}/{ns.SharedMemory.InUse}");
        Assert.True(created > steps / 10, "the sequence should create a fair number of objects");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(99)]
    public void Random_churn_near_full_set_keeps_ids_unique(int seed)
    {
        // Long create/remove churn with ~20000 live objects: exercises windows up to 32768 and many seq bumps.
        output.WriteLine($"seed={seed}");
        var rng = new Random(seed);
        var ns = new IpcNamespaceState();
        var live = new List<int>();
        var liveSet = new HashSet<int>();
        for (var step = 0; step < 200_000; step++)
        {
            if (live.Count < 20_000 && (live.Count == 0 || rng.Next(100) < 55))
            {
                var r = ns.Get(IpcType.Msg, Private, Creat, 0, Root);
                Assert.True(r.IsSuccess, $"step {step}: {r}");
                Assert.True(liveSet.Add(r.Id), $"step {step}: duplicate live id {r.Id}");
                live.Add(r.Id);
            }
            else
            {
                var i = rng.Next(live.Count);
                var id = live[i];
                live[i] = live[^1];
                live.RemoveAt(live.Count - 1);
                liveSet.Remove(id);
                Assert.Equal(Errno.None, ns.Remove(IpcType.Msg, id, Root));
            }

            if (step % 10_000 == 0)
            {
                ns.CheckInvariants();
            }
        }

        ns.CheckInvariants();
        Assert.Equal(live.Count, ns.Messages.InUse);
        output.WriteLine($"seq={ns.Messages.Seq} last_idx={ns.Messages.LastIdx} in_use={ns.Messages.InUse}");
    }
}
