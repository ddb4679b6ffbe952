using Actors.Kernel.Ipc;

namespace Actors.Kernel.Tests.Ipc;

/// <summary>
/// A deliberately naive re-statement of spec/kernel-semantics.md section 4 (and the 2008 requested id), with linear
/// scans and no shared code with the model, used as the oracle of the randomized tests.
/// </summary>
internal sealed class IpcReferenceModel
{
    private readonly Set[] _sets = [new(), new(), new()];
    private readonly IpcLimits _limits;
    private long _usedSems;
    private ulong _shmPages;

    public IpcReferenceModel(IpcLimits limits) => _limits = limits;

    public (int Seq, int LastIdx, int Cursor, int NextId, int InUse) State(IpcType type)
    {
        var s = _sets[(int)type];
        return (s.Seq, s.LastIdx, s.Cursor, s.NextId, s.Objects.Count);
    }

    public IReadOnlyList<int> LiveIds(IpcType type) =>
        [.. _sets[(int)type].Objects.OrderBy(kv => kv.Key).Select(kv => (kv.Value.Seq << 15) | kv.Key)];

    public Errno WriteNextId(IpcType type, long value, IpcCredentials cred)
    {
        if (!(cred.CapSysAdmin || cred.CapCheckpointRestore))
        {
            return Errno.EACCES;
        }

        if (value < 0 || value > int.MaxValue)
        {
            return Errno.EINVAL;
        }

        _sets[(int)type].NextId = (int)value;
        return Errno.None;
    }

    public (int Id, Errno Error, bool Consumed) Get(IpcType type, int key, int flags, long arg, IpcCredentials cred, long? requested)
    {
        var s = _sets[(int)type];
        var nsems = type == IpcType.Sem ? unchecked((int)arg) : 0;
        var size = type == IpcType.Shm ? unchecked((ulong)arg) : 0;
        if (type == IpcType.Sem && (nsems < 0 || nsems > _limits.Semmsl))
        {
            return (-1, Errno.EINVAL, false);
        }

        if (key != 0)
        {
            foreach (var (idx, o) in s.Objects)
            {
                if (o.Key != key)
                {
                    continue;
                }

                if ((flags & 0x200) != 0 && (flags & 0x400) != 0)
                {
                    return (-1, Errno.EEXIST, false);
                }

                if (type == IpcType.Sem && nsems > o.Nsems)
                {
                    return (-1, Errno.EINVAL, false);
                }

                if (type == IpcType.Shm && size > o.Size)
                {
                    return (-1, Errno.EINVAL, false);
                }

                var want = flags & 0x1FF;
                var folded = ((want >> 6) | (want >> 3) | want) & 7;
                int granted;
                if (cred.Uid == o.Uid)
                {
                    granted = (o.Mode >> 6) & 7;
                }
                else if (cred.Gid == o.Gid)
                {
                    granted = (o.Mode >> 3) & 7;
                }
                else
                {
                    granted = o.Mode & 7;
                }

                if ((folded & ~granted) != 0 && !cred.CapIpcOwner)
                {
                    return (-1, Errno.EACCES, false);
                }

                return ((o.Seq << 15) | idx, Errno.None, false);
            }

            if ((flags & 0x200) == 0)
            {
                return (-1, Errno.ENOENT, false);
            }
        }

        ulong pages = 0;
        int limit;
        switch (type)
        {
            case IpcType.Sem:
                if (nsems == 0)
                {
                    return (-1, Errno.EINVAL, false);
                }

                if (_usedSems + nsems > _limits.Semmns)
                {
                    return (-1, Errno.ENOSPC, false);
                }

                limit = _limits.Semmni;
                break;
            case IpcType.Shm:
                if (size == 0 || size > _limits.Shmmax)
                {
                    return (-1, Errno.EINVAL, false);
                }

                pages = (size / 4096) + (size % 4096 == 0 ? 0UL : 1UL);
                if (_shmPages + pages > _limits.Shmall)
                {
                    return (-1, Errno.ENOSPC, false);
                }

                limit = _limits.Shmmni;
                break;
            default:
                limit = _limits.Msgmni;
                break;
        }

        if (s.Objects.Count >= Math.Min(limit, 32768))
        {
            return (-1, Errno.ENOSPC, false);
        }

        int seq;
        int index;
        var consumed = false;
        if (requested.HasValue)
        {
            consumed = true;
            if (requested.Value < 0 || requested.Value > int.MaxValue)
            {
                return (-1, Errno.EINVAL, true);
            }

            index = (int)(requested.Value % 32768);
            seq = (int)(requested.Value / 32768);
            if (s.Objects.ContainsKey(index))
            {
                return (-1, Errno.EEXIST, true);
            }
        }
        else if (s.NextId >= 0)
        {
            var n = s.NextId;
            s.NextId = -1;
            seq = n / 32768;
            index = -1;
            for (var i = n % 32768; i < 32768; i++)
            {
                if (!s.Objects.ContainsKey(i))
                {
                    index = i;
                    break;
                }
            }

            if (index < 0)
            {
                return (-1, Errno.ENOSPC, false);
            }
        }
        else
        {
            s.NextId = -1;
            var window = Math.Min(Math.Max(s.Objects.Count * 3 / 2, 64), 32768);
            index = -1;
            for (var i = s.Cursor; i < window && index < 0; i++)
            {
                if (!s.Objects.ContainsKey(i))
                {
                    index = i;
                }
            }

            for (var i = 0; i < window && index < 0; i++)
            {
                if (!s.Objects.ContainsKey(i))
                {
                    index = i;
                }
            }

            s.Cursor = index + 1;
            if (index <= s.LastIdx)
            {
                s.Seq = s.Seq + 1 == 65535 ? 0 : s.Seq + 1;
            }

            s.LastIdx = index;
            seq = s.Seq;
        }

        s.Objects[index] = new Obj(seq, key, flags & 0x1FF, cred.Uid, cred.Gid, nsems, size);
        _usedSems += nsems;
        _shmPages += pages;
        return ((seq << 15) | index, Errno.None, consumed);
    }

    public Errno Remove(IpcType type, int id, IpcCredentials cred)
    {
        var s = _sets[(int)type];
        if (id < 0 || !s.Objects.TryGetValue(id % 32768, out var o) || o.Seq != id / 32768)
        {
            return Errno.EINVAL;
        }

        if (cred.Uid != o.Uid && !cred.CapSysAdmin)
        {
            return Errno.EPERM;
        }

        s.Objects.Remove(id % 32768);
        _usedSems -= o.Nsems;
        _shmPages -= (o.Size / 4096) + (o.Size % 4096 == 0 ? 0UL : 1UL);
        return Errno.None;
    }

    private sealed record Obj(int Seq, int Key, int Mode, uint Uid, uint Gid, int Nsems, ulong Size);

    private sealed class Set
    {
        public Dictionary<int, Obj> Objects { get; } = [];

        public int Seq { get; set; }

        public int LastIdx { get; set; } = -1;

        public int Cursor { get; set; }

        public int NextId { get; set; } = -1;
    }
}
