using System.Globalization;

namespace Actors.Stress;

/// <summary>The kinds of operation a stress run mixes.</summary>
public enum OpKind
{
    Fork,
    Exit,
    Kill,
    NextId,
    SetTid,
    Ipc,
    Unshare,
}

/// <summary>Options of <c>actors stress</c>.</summary>
/// <param name="Tasks">Concurrent workers, each driving its own task and that task's children.</param>
/// <param name="Duration">Wall-clock budget (null: bounded by <paramref name="Ops"/> only).</param>
/// <param name="Ops">Operation budget over all workers (null: bounded by <paramref name="Duration"/> only).</param>
/// <param name="Seed">Seed of every random choice (each worker derives its own stream).</param>
/// <param name="Depth">Pid namespace levels: workers run in namespaces up to this depth (1 = the initial one only).</param>
/// <param name="Mix">Relative weights of the operations.</param>
public sealed record StressOptions(int Tasks, TimeSpan? Duration, long? Ops, ulong Seed, int Depth, IReadOnlyDictionary<OpKind, int> Mix)
{
    public static IReadOnlyDictionary<OpKind, int> DefaultMix { get; } = new Dictionary<OpKind, int>
    {
        [OpKind.Fork] = 40, [OpKind.Exit] = 25, [OpKind.Kill] = 5, [OpKind.NextId] = 10,
        [OpKind.SetTid] = 5, [OpKind.Ipc] = 10, [OpKind.Unshare] = 5,
    };

    /// <summary>Parses <c>fork=40,exit=25,...</c>; kinds not named keep weight 0. Null and the reason when malformed.</summary>
    public static IReadOnlyDictionary<OpKind, int>? ParseMix(string text, out string? error)
    {
        error = null;
        var mix = new Dictionary<OpKind, int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=');
            var name = kv[0].Trim().Replace("_", "", StringComparison.Ordinal);
            if (kv.Length != 2 || !Enum.TryParse<OpKind>(name, ignoreCase: true, out var kind) ||
                !int.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out var weight))
            {
                error = $"--mix: '{part}' is not KIND=WEIGHT (kinds: fork, exit, kill, next_id, set_tid, ipc, unshare)";
                return null;
            }
            mix[kind] = weight;
        }
        if (mix.Values.Sum() == 0)
        {
            error = "--mix: every weight is 0";
            return null;
        }
        return mix;
    }
}
