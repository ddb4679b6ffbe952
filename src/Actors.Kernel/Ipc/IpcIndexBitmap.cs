using System.Numerics;

namespace Actors.Kernel.Ipc;

/// <summary>The set of used indices of one id set, a two-level bitmap over [0, 32768).</summary>
/// <remarks>
/// Stands in for the idr's free-slot tracking (lib/idr.c, radix tree tags): finding the lowest free index at or
/// above a start costs one word test plus a scan of at most 8 summary words, instead of a 32768-entry walk.
/// Owned by <see cref="IpcIds"/>; not thread-safe.
/// Invariant: bit w of <c>_full</c> is set iff <c>_words[w]</c> is all ones.
/// </remarks>
internal sealed class IpcIndexBitmap
{
    private const int WordCount = IpcConstants.Mni / 64;      // 512
    private const int SummaryCount = WordCount / 64;          // 8

    private readonly ulong[] _words = new ulong[WordCount];
    private readonly ulong[] _full = new ulong[SummaryCount];

    public bool IsSet(int idx) => (_words[idx >> 6] & (1UL << (idx & 63))) != 0;

    public void Set(int idx)
    {
        var w = idx >> 6;
        var word = _words[w] | (1UL << (idx & 63));
        _words[w] = word;
        if (word == ulong.MaxValue)
        {
            _full[w >> 6] |= 1UL << (w & 63);
        }
    }

    public void Clear(int idx)
    {
        var w = idx >> 6;
        _words[w] &= ~(1UL << (idx & 63));
        _full[w >> 6] &= ~(1UL << (w & 63));
    }

    /// <summary>Lowest clear index in [start, end), or -1 (the idr's <c>idr_get_free()</c> with a max).</summary>
    public int FindFree(int start, int end)
    {
        if (end > IpcConstants.Mni)
        {
            end = IpcConstants.Mni;
        }

        if (start < 0)
        {
            start = 0;
        }

        if (start >= end)
        {
            return -1;
        }

        var w = start >> 6;
        var free = ~_words[w] & (ulong.MaxValue << (start & 63));
        int idx;
        if (free != 0)
        {
            idx = (w << 6) + BitOperations.TrailingZeroCount(free);
        }
        else
        {
            var next = NextNotFullWord(w + 1);
            if (next < 0)
            {
                return -1;
            }

            idx = (next << 6) + BitOperations.TrailingZeroCount(~_words[next]);
        }

        return idx < end ? idx : -1;
    }

    /// <summary>The lowest word index &gt;= <paramref name="from"/> that has a clear bit, or -1.</summary>
    private int NextNotFullWord(int from)
    {
        if (from >= WordCount)
        {
            return -1;
        }

        var s = from >> 6;
        var notFull = ~_full[s] & (ulong.MaxValue << (from & 63));
        while (notFull == 0)
        {
            if (++s == SummaryCount)
            {
                return -1;
            }

            notFull = ~_full[s];
        }

        return (s << 6) + BitOperations.TrailingZeroCount(notFull);
    }

    /// <summary>The lowest set index &gt;= <paramref name="from"/>, or -1 (for index-order enumeration).</summary>
    public int NextSet(int from)
    {
        if (from >= IpcConstants.Mni)
        {
            return -1;
        }

        var w = from >> 6;
        var bits = _words[w] & (ulong.MaxValue << (from & 63));
        while (bits == 0)
        {
            if (++w == WordCount)
            {
                return -1;
            }

            bits = _words[w];
        }

        return (w << 6) + BitOperations.TrailingZeroCount(bits);
    }

    /// <summary>Number of set bits (audit only).</summary>
    public int PopCount()
    {
        var n = 0;
        foreach (var word in _words)
        {
            n += BitOperations.PopCount(word);
        }

        return n;
    }

    /// <summary>Checks the summary level against the words (audit only); returns the first bad word or -1.</summary>
    public int FirstInconsistentSummary()
    {
        for (var w = 0; w < WordCount; w++)
        {
            var full = _words[w] == ulong.MaxValue;
            var marked = (_full[w >> 6] & (1UL << (w & 63))) != 0;
            if (full != marked)
            {
                return w;
            }
        }

        return -1;
    }
}
