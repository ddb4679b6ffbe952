using System.Globalization;
using System.Text;

namespace Actors.Kernel.Tasks;

/// <summary>The ids the next object a task creates must get: the 2008 series' per-thread <c>next_id</c>.</summary>
/// <remarks>
/// Nadia Derbey, "[PATCH 0/4] - v2 - Object creation with a specified id" (LKML, 2008-04-18, against 2.6.25-rc3-mm2):
/// <c>/proc/self/task/&lt;tid&gt;/next_id</c> takes <c>LONG X</c> or <c>LONG&lt;n&gt; X0 ... X&lt;n-1&gt;</c>; the value is
/// used by the next object the task creates (alloc_pid for a process: one id per pid namespace level, X0 innermost;
/// ipc_addid for a SysV IPC object: X0 is the whole id) and then cleared. Per thread from v2 on ("so threads of one
/// process don't race"); with <c>actors.kernel.next-id-scope = process</c> one slot is shared by a process's threads, as
/// in v1's <c>/proc/self/next_id</c>. Never merged; see the deviations document. Thread-safe without a lock: a shared slot
/// is touched by the actors of several threads, and each access is one atomic operation on the one reference it holds
/// (a lock object per task cost 40 bytes of every task).
/// </remarks>
public sealed class NextIdSlot
{
    /// <summary>The most ids one write may carry: one per pid namespace level (MAX_PID_NS_LEVEL + 1).</summary>
    public const int MaxIds = 33;

    private long[]? _ids;

    /// <summary>The pending ids, or null.</summary>
    public long[]? Peek() => Volatile.Read(ref _ids);

    /// <summary>Takes the pending ids (the slot is consumed), or null when none are pending.</summary>
    public long[]? Take() => Interlocked.Exchange(ref _ids, null);

    /// <summary>Clears the slot if it still holds exactly <paramref name="ids"/> (a consumption decided after a round trip).</summary>
    public void ClearIf(long[] ids) => Interlocked.CompareExchange(ref _ids, null, ids);

    /// <summary>Write of the next_id file: EINVAL on malformed text, the slot unchanged.</summary>
    public Errno Write(string text)
    {
        var e = TryParse(text, out var ids);
        if (e == Errno.None)
        {
            Volatile.Write(ref _ids, ids);
        }
        return e;
    }

    /// <summary>Read of the next_id file: <c>LONG X</c>, <c>LONG&lt;n&gt; X0 ...</c>, or "" when empty.</summary>
    public string Read() => Format(Peek());

    public static string Format(long[]? ids)
    {
        if (ids is null)
        {
            return "";
        }
        var sb = new StringBuilder(ids.Length == 1 ? "LONG" : $"LONG{ids.Length}");
        foreach (var id in ids)
        {
            sb.Append(' ').Append(id.ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>The characters a next_id text may hold (after its final newline is dropped).</summary>
    private static readonly System.Buffers.SearchValues<char> Allowed = System.Buffers.SearchValues.Create(" \t0123456789LONG");

    /// <summary>Parses <c>LONG X</c> or <c>LONG&lt;n&gt; X0 ... X&lt;n-1&gt;</c> (1 &lt;= n &lt;= 33, ids non-negative
    /// decimal): the text starts with <c>LONG</c> (the series compares the buffer's first four bytes), ids are
    /// separated by runs of spaces or tabs, one final newline is allowed (what <c>echo</c> writes).</summary>
    public static Errno TryParse(string text, out long[] ids)
    {
        ids = [];
        if (text.EndsWith('\n'))
        {
            text = text[..^1];
        }
        if (!text.StartsWith("LONG", StringComparison.Ordinal) || text.AsSpan().IndexOfAnyExcept(Allowed) >= 0)
        {
            return Errno.EINVAL;
        }
        var tokens = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length < 2 || !tokens[0].StartsWith("LONG", StringComparison.Ordinal))
        {
            return Errno.EINVAL;
        }
        var count = 1;
        if (tokens[0].Length > 4 &&
            (!int.TryParse(tokens[0].AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1 || count > MaxIds))
        {
            return Errno.EINVAL;
        }
        if (tokens.Length != count + 1)
        {
            return Errno.EINVAL;
        }
        var parsed = new long[count];
        for (var i = 0; i < count; i++)
        {
            if (!long.TryParse(tokens[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out parsed[i]))
            {
                return Errno.EINVAL;
            }
        }
        ids = parsed;
        return Errno.None;
    }
}
