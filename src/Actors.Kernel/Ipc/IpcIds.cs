namespace Actors.Kernel.Ipc;

/// <summary>One SysV IPC id set of an IPC namespace (all message queues, or all semaphore sets, or all segments).</summary>
/// <remarks>
/// <para>Models <c>struct ipc_ids</c> (include/linux/ipc_namespace.h) with the id allocation of Linux 6.18,
/// ipc/util.c:ipc_addid() -&gt; ipc_idr_alloc(): <c>in_use</c>, <c>seq</c>, <c>last_idx</c>, the idr
/// (<see cref="IpcIndexBitmap"/> plus an object array) with its cyclic cursor <c>idr_next</c>
/// (lib/idr.c:idr_alloc_cyclic()), the key hash <c>key_ht</c>, and <c>next_id</c>, the
/// <c>/proc/sys/kernel/{msg,sem,shm}_next_id</c> sysctl of mainline commit 03f595668017 ("ipc: add sysctl to
/// specify desired next object id", 3.8). An id is <c>(seq &lt;&lt; 15) | idx</c>.</para>
/// <para>On top of mainline it takes the model's per-task requested id: the 2008 "Object creation with a specified
/// id" series (Nadia Derbey, never merged), where the task's <c>next_id</c> slot names the full IPC id, seq and
/// index, and a busy index fails EEXIST (spec/scenario-language.md, "next_id").</para>
/// <para>The type-specific rules (sem/shm pre-checks, <c>more_checks</c>, semmns/shmall accounting) live in
/// <see cref="IpcNamespaceState"/>, as they live in ipc/msg.c, sem.c and shm.c. Not modelled: <c>max_idx</c>
/// (only used by IPC_INFO and /proc/sysvipc), <c>ipcmni_extend</c>, ENOMEM, LSM and audit hooks.</para>
/// <para>Owned by the IPC namespace's actor; not thread-safe. The mutators are internal so that only
/// <see cref="IpcNamespaceState"/>, which enforces the key rules, calls them.</para>
/// </remarks>
public sealed class IpcIds
{
    private readonly IpcIndexBitmap _used = new();

    // key -> idx for every live object whose key != IPC_PRIVATE (ids->key_ht).
    // Invariant: maps each such key to exactly one live object, whose Key is that key, and back.
    private readonly Dictionary<int, int> _keys = [];

    // idr slots; only entries whose bit is set in _used are live. Grows by doubling up to 32768.
    private IpcObject[] _objects = new IpcObject[IpcConstants.MinCycle];

    // ids->in_use. Invariant: equals the number of live objects, 0 <= _inUse <= 32768.
    private int _inUse;

    // ids->seq: the seq of the next cyclic allocation's wrap. Invariant: 0 <= _seq < 65535 (ipcid_seq_max()).
    private int _seq;

    // ids->last_idx: index of the last cyclic allocation, -1 initially (ipc_init_ids()).
    // Invariant: -1 <= _lastIdx < 32768.
    private int _lastIdx = -1;

    // idr->idr_next: where the next idr_alloc_cyclic() search starts. Invariant: 0 <= _cursor <= 32768.
    private int _cursor;

    // ids->next_id: the *_next_id sysctl, -1 when unset. Invariant: -1 <= _nextId <= INT_MAX.
    private int _nextId = -1;

    /// <summary>Creates an empty id set, as ipc/util.c:ipc_init_ids() does.</summary>
    public IpcIds(IpcType type) => Type = type;

    /// <summary>Which mechanism this set holds.</summary>
    public IpcType Type { get; }

    /// <summary><c>ids-&gt;in_use</c>: number of live objects.</summary>
    public int InUse => _inUse;

    /// <summary><c>ids-&gt;seq</c>: the sequence number the cyclic path currently hands out.</summary>
    public int Seq => _seq;

    /// <summary><c>ids-&gt;last_idx</c>: index of the last cyclic allocation, -1 before the first.</summary>
    public int LastIdx => _lastIdx;

    /// <summary>The idr's cyclic cursor (<c>idr-&gt;idr_next</c>): one past the last cyclic allocation.</summary>
    public int Cursor => _cursor;

    /// <summary>The <c>*_next_id</c> sysctl value; -1 when unset.</summary>
    public int NextId => _nextId;

    /// <summary>Looks an object up by full id, with the seq check (ipc/util.c:ipc_obtain_object_check()).</summary>
    public bool TryGet(int id, out IpcObject obj)
    {
        if (ObtainCheck(id, out var idx) == Errno.None)
        {
            obj = _objects[idx];
            return true;
        }

        obj = default;
        return false;
    }

    /// <summary>Looks an object up by key (ipc/util.c:ipc_findkey()); IPC_PRIVATE never matches.</summary>
    public bool TryGetByKey(int key, out IpcObject obj)
    {
        var idx = FindKey(key);
        obj = idx >= 0 ? _objects[idx] : default;
        return idx >= 0;
    }

    /// <summary>The live objects in index order (for audits and /proc/sysvipc-like listings; allocates).</summary>
    public IEnumerable<IpcObject> LiveObjects()
    {
        for (var idx = _used.NextSet(0); idx >= 0; idx = _used.NextSet(idx + 1))
        {
            yield return _objects[idx];
        }
    }

    /// <summary>Checks every invariant of this id set; throws <see cref="InvariantViolationException"/>.</summary>
    public void CheckInvariants()
    {
        var name = Type;
        Require(_inUse is >= 0 and <= IpcConstants.Mni, name, "0 <= in_use <= 32768", _inUse);
        Require(_seq is >= 0 and < IpcConstants.SeqMax, name, "0 <= ids.seq < 65535", _seq);
        Require(_lastIdx is >= -1 and < IpcConstants.Mni, name, "-1 <= last_idx < 32768", _lastIdx);
        Require(_cursor is >= 0 and <= IpcConstants.Mni, name, "0 <= cursor <= 32768", _cursor);
        Require(_nextId >= -1, name, "next_id >= -1", _nextId);

        var badSummary = _used.FirstInconsistentSummary();
        Require(badSummary < 0, name, "bitmap summary matches words", badSummary);

        var live = 0;
        var keyed = 0;
        for (var idx = _used.NextSet(0); idx >= 0; idx = _used.NextSet(idx + 1))
        {
            live++;
            Require(idx < _objects.Length, name, "live index has a slot", idx);
            var obj = _objects[idx];
            Require(obj.Index == idx, name, "object index equals its slot", obj);
            Require(obj.Seq is >= 0 and <= IpcConstants.SeqMax, name, "0 <= seq <= 65535", obj);
            Require(obj.Id == IpcConstants.BuildId(obj.Seq, obj.Index), name, "id == (seq << 15) | idx", obj);
            Require(obj.Id >= 0, name, "id >= 0", obj);
            Require((obj.Mode & ~IpcConstants.ModeMask) == 0, name, "mode within 0777", obj);
            Require(Type == IpcType.Sem ? obj.Nsems > 0 : obj.Nsems == 0, name, "nsems > 0 only for sem", obj);
            Require(Type == IpcType.Shm ? obj.Size > 0 : obj.Size == 0, name, "size > 0 only for shm", obj);
            if (obj.Key != IpcConstants.PrivateKey)
            {
                keyed++;
                Require(_keys.TryGetValue(obj.Key, out var kidx) && kidx == idx, name, "key maps back to its object", obj);
            }
        }

        // Ids are unique because indices are: each live index holds one object whose id decodes to that index.
        Require(live == _inUse, name, "in_use equals the live object count", (InUse: _inUse, Live: live));
        Require(_used.PopCount() == live, name, "bitmap population equals live count", live);
        Require(_keys.Count == keyed, name, "key table holds exactly the keyed live objects", (Keys: _keys.Count, Keyed: keyed));
        foreach (var (key, idx) in _keys)
        {
            Require(key != IpcConstants.PrivateKey, name, "IPC_PRIVATE is never in the key table", idx);
            Require(idx is >= 0 and < IpcConstants.Mni && _used.IsSet(idx) && _objects[idx].Key == key,
                name, "key table entry points at a live object with that key", (Key: key, Idx: idx));
        }
    }

    /// <summary>ipc/util.c:ipc_findkey(): the index holding <paramref name="key"/>, or -1.</summary>
    internal int FindKey(int key) =>
        key != IpcConstants.PrivateKey && _keys.TryGetValue(key, out var idx) ? idx : -1;

    /// <summary>The live object at <paramref name="idx"/>.</summary>
    internal ref readonly IpcObject At(int idx) => ref _objects[idx];

    /// <summary>
    /// ipc/util.c:ipc_addid() with ipc_idr_alloc(): allocates an index and seq and records the object.
    /// </summary>
    /// <remarks>
    /// Order (spec 4.2): the limit check comes first and consumes nothing; then the requested id (if any) or the
    /// <c>next_id</c> sysctl is consumed, whatever happens next; then the index is chosen. When a task's
    /// <paramref name="requestedId"/> is present it wins and <c>next_id</c> is left as is (model choice: the
    /// per-task request is the more specific one, and leaving the sysctl keeps it for the next creation that has
    /// no request).
    /// </remarks>
    internal IpcGetResult Add(int key, int mode, IpcCredentials cred, int nsems, ulong size, int limit, long? requestedId)
    {
        if (key != IpcConstants.PrivateKey && _keys.ContainsKey(key))
        {
            throw new InvalidOperationException($"{Type}: Add with key {key} that is already in use");
        }

        if (limit > IpcConstants.Mni)
        {
            limit = IpcConstants.Mni;
        }

        if (_inUse >= limit)
        {
            return IpcGetResult.Fail(Errno.ENOSPC); // ipc/util.c:ipc_addid(): in_use >= limit, nothing consumed
        }

        int idx;
        int seq;
        var requestedConsumed = false;
        if (requestedId is { } requested)
        {
            // 2008 series: the slot is consumed once allocation is reached, even if the id is then refused.
            requestedConsumed = true;
            if (requested is < 0 or > int.MaxValue)
            {
                return IpcGetResult.Fail(Errno.EINVAL, true); // checked like clone3 set_tid: not a valid IPC id
            }

            idx = (int)requested & IpcConstants.IdxMask;
            seq = (int)(requested >> IpcConstants.IdxShift);
            if (_used.IsSet(idx))
            {
                return IpcGetResult.Fail(Errno.EEXIST, true); // 2008 series: the requested index is in use
            }
        }
        else
        {
            var nextId = _nextId;
            _nextId = -1; // ipc_idr_alloc(): read and reset, consumed whatever happens next
            if (nextId >= 0)
            {
                // Mainline next_id: idr_alloc(start = idx, end = 0); seq, last_idx and the cursor are untouched.
                seq = IpcConstants.IdToSeq(nextId);
                idx = _used.FindFree(IpcConstants.IdToIdx(nextId), IpcConstants.Mni);
                if (idx < 0)
                {
                    // Every index from next_id's up to 32767 is busy. Linux's idr_alloc(..., 0) has no upper
                    // bound and would hand out idx >= 32768, an id ipc_obtain_object_idr() can never find; the
                    // model refuses instead (idr_alloc's own "range full" errno).
                    return IpcGetResult.Fail(Errno.ENOSPC);
                }
            }
            else
            {
                var maxIdx = Math.Min(Math.Max(_inUse * 3 / 2, IpcConstants.MinCycle), IpcConstants.Mni);

                // lib/idr.c:idr_alloc_cyclic(idr, ptr, 0, max_idx): from the cursor, then once from 0.
                var start = _cursor;
                idx = _used.FindFree(start, maxIdx);
                if (idx < 0 && start > 0)
                {
                    idx = _used.FindFree(0, maxIdx);
                }

                if (idx < 0)
                {
                    // Unreachable while in_use < limit <= 32768 (the window always exceeds in_use); idr_alloc_cyclic's errno.
                    return IpcGetResult.Fail(Errno.ENOSPC);
                }

                _cursor = idx + 1;
                if (idx <= _lastIdx)
                {
                    _seq++;
                    if (_seq >= IpcConstants.SeqMax)
                    {
                        _seq = 0;
                    }
                }

                _lastIdx = idx;
                seq = _seq;
            }
        }

        if (idx >= _objects.Length)
        {
            Grow(idx);
        }

        var id = IpcConstants.BuildId(seq, idx);
        _objects[idx] = new IpcObject(id, idx, seq, key, mode & IpcConstants.ModeMask,
            Uid: cred.Uid, Gid: cred.Gid, Cuid: cred.Uid, Cgid: cred.Gid, nsems, size);
        _used.Set(idx);
        if (key != IpcConstants.PrivateKey)
        {
            _keys.Add(key, idx);
        }

        _inUse++;
        return IpcGetResult.New(id, requestedConsumed);
    }

    /// <summary>ipc/util.c:ipc_obtain_object_check(): the index of live object <paramref name="id"/>.</summary>
    internal Errno ObtainCheck(int id, out int idx)
    {
        idx = IpcConstants.IdToIdx(id);
        if (id < 0 || !_used.IsSet(idx))
        {
            idx = -1;
            return Errno.EINVAL; // ipc_obtain_object_idr(): idr_find() found nothing (negative ids: *ctl syscalls)
        }

        if (_objects[idx].Seq != IpcConstants.IdToSeq(id))
        {
            idx = -1;
            return Errno.EINVAL; // ipc_checkid(): stale id, the index was reused with another seq
        }

        return Errno.None;
    }

    /// <summary>ipc/util.c:ipcctl_obtain_check() for IPC_RMID: lookup, then owner/creator or CAP_SYS_ADMIN.</summary>
    internal Errno CtlObtainCheck(int id, IpcCredentials cred, out int idx)
    {
        var err = ObtainCheck(id, out idx);
        if (err != Errno.None)
        {
            return err;
        }

        ref readonly var obj = ref _objects[idx];
        if (cred.Uid == obj.Cuid || cred.Uid == obj.Uid || cred.CapSysAdmin)
        {
            return Errno.None;
        }

        idx = -1;
        return Errno.EPERM; // ipcctl_obtain_check(): neither owner nor creator, no CAP_SYS_ADMIN
    }

    /// <summary>ipc/util.c:ipc_rmid(): frees the index and the key at once; returns the removed object.</summary>
    internal IpcObject RemoveAt(int idx)
    {
        var obj = _objects[idx];
        _used.Clear(idx);
        if (obj.Key != IpcConstants.PrivateKey)
        {
            _keys.Remove(obj.Key); // ipc_kht_remove()
        }

        _objects[idx] = default;
        _inUse--;
        return obj;
    }

    /// <summary>Stores a <c>*_next_id</c> value already range-checked by the caller (ipc/ipc_sysctl.c).</summary>
    internal void SetNextId(int value) => _nextId = value;

    /// <summary>
    /// ipc/util.c:ipcperms(): may <paramref name="cred"/> use <paramref name="obj"/> with the access bits of
    /// <paramref name="flags"/>?
    /// </summary>
    /// <remarks>
    /// The requested mode folds the 9 low flag bits to rwx (<c>(flag &gt;&gt; 6) | (flag &gt;&gt; 3) | flag</c>);
    /// the granted mode is the owner triplet if euid is the owner or creator, else the group triplet if gid is
    /// the group or creator group, else the other triplet. CAP_IPC_OWNER overrides. Flags 0 ask for nothing.
    /// </remarks>
    internal static bool Permitted(in IpcObject obj, int flags, IpcCredentials cred)
    {
        var flag = flags & IpcConstants.ModeMask;
        var requested = (flag >> 6) | (flag >> 3) | flag;
        var granted = obj.Mode;
        if (cred.Uid == obj.Cuid || cred.Uid == obj.Uid)
        {
            granted >>= 6;
        }
        else if (cred.Gid == obj.Cgid || cred.Gid == obj.Gid)
        {
            granted >>= 3;
        }

        return (requested & ~granted & 7) == 0 || cred.CapIpcOwner;
    }

    private void Grow(int idx)
    {
        var size = _objects.Length;
        while (size <= idx)
        {
            size *= 2;
        }

        Array.Resize(ref _objects, Math.Min(size, IpcConstants.Mni));
    }

    // Generic so that passing audits neither box nor format anything.
    private static void Require<T>(bool condition, IpcType set, string invariant, T value)
    {
        if (!condition)
        {
            throw new InvariantViolationException($"{set}: {invariant}", value);
        }
    }
}
