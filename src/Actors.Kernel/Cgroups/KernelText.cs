using System.Globalization;

namespace Actors.Kernel.Cgroups;

/// <summary>The kernel's number parsers as cgroup files use them (lib/kstrtox.c, lib/string.c:strstrip()).</summary>
public static class KernelText
{
    /// <summary>kstrtoll(s, 0, &amp;v): optional sign, base from the prefix (<c>0x</c> hex, <c>0</c> octal, else decimal),
    /// digits, at most one trailing newline; EINVAL otherwise, ERANGE on overflow.</summary>
    public static Errno Kstrtoll(string s, out long value)
    {
        value = 0;
        var negative = false;
        var i = 0;
        if (i < s.Length && (s[i] == '+' || s[i] == '-'))
        {
            negative = s[i] == '-';
            i++;
        }
        if (i < s.Length && (s[i] == '+' || s[i] == '-'))
        {
            return Errno.EINVAL; // one sign at most
        }
        var errno = Kstrtoull(s[i..], out var magnitude);
        if (errno != Errno.None)
        {
            return errno;
        }
        if (negative ? magnitude > (ulong)long.MaxValue + 1 : magnitude > long.MaxValue)
        {
            return Errno.ERANGE;
        }
        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return Errno.None;
    }

    /// <summary>kstrtoull(s, 0, &amp;v): an optional '+', no '-'.</summary>
    public static Errno Kstrtoull(string s, out ulong value)
    {
        value = 0;
        var i = 0;
        if (i < s.Length && s[i] == '+')
        {
            i++;
        }
        var end = s.Length;
        if (end > i && s[end - 1] == '\n')
        {
            end--;
        }
        var radix = 10u;
        if (end - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X') && end - i > 2 && IsDigit(s[i + 2], 16))
        {
            radix = 16;
            i += 2;
        }
        else if (end - i >= 1 && s[i] == '0')
        {
            radix = 8;
        }
        if (i >= end)
        {
            return Errno.EINVAL;
        }
        ulong v = 0;
        for (; i < end; i++)
        {
            if (!IsDigit(s[i], radix))
            {
                return Errno.EINVAL;
            }
            var d = (ulong)Digit(s[i]);
            if (v > (ulong.MaxValue - d) / radix)
            {
                return Errno.ERANGE;
            }
            v = v * radix + d;
        }
        value = v;
        return Errno.None;
    }

    /// <summary>kstrtoint(s, 0, &amp;v).</summary>
    public static Errno Kstrtoint(string s, out int value)
    {
        value = 0;
        var errno = Kstrtoll(s, out var v);
        if (errno != Errno.None)
        {
            return errno;
        }
        if (v is < int.MinValue or > int.MaxValue)
        {
            return Errno.ERANGE;
        }
        value = (int)v;
        return Errno.None;
    }

    /// <summary>strstrip(): leading and trailing white space (isspace) removed.</summary>
    public static string Strip(string s) => s.Trim(' ', '\t', '\n', '\v', '\f', '\r');

    public static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static bool IsDigit(char c, uint radix) => c < 128 && char.IsAsciiHexDigit(c) && Digit(c) < radix;

    private static int Digit(char c) => c <= '9' ? c - '0' : (char.ToLowerInvariant(c) - 'a') + 10;
}
