namespace Actors.Kernel.Ipc;

/// <summary>The SysV IPC state of one IPC namespace: three id sets, the limit sysctls and the usage counters.</summary>
/// <remarks>
/// <para>Models the SysV part of <c>struct ipc_namespace</c> (include/linux/ipc_namespace.h): <c>ids[3]</c>,
/// <c>msg_ctlmni</c>, <c>sem_ctls[]</c>, <c>used_sems</c>, <c>shm_ctlmax/ctlall/ctlmni</c>, <c>shm_tot</c>, and the
/// syscalls that touch ids: <c>msgget</c>/<c>semget</c>/<c>shmget</c> (ipc/util.c:ipcget(), ipcget_new(),
/// ipcget_public(); ipc/msg.c:newque(); ipc/sem.c:ksys_semget(), newary(), sem_more_checks();
/// ipc/shm.c:newseg(), shm_more_checks()), <c>IPC_RMID</c> (ipc/util.c:ipcctl_obtain_check(), ipc_rmid()) and the
/// <c>/proc/sys/kernel/{msg,sem,shm}_next_id</c> files (ipc/ipc_sysctl.c). Rules and errnos follow Linux 6.18
/// (spec/kernel-semantics.md section 4); the per-task requested id follows the 2008 next_id series (section 5).</para>
/// <para>Deliberately not modelled: queue contents, semaphore values and sleepers (so no EIDRM wake-ups), shm
/// attach: without <c>shmat</c> there is never an attached segment, so shm IPC_RMID destroys the segment at once
/// (Linux's do_shm_rmid() marks an attached segment SHM_DEST and makes its key private until the last detach;
/// that path cannot arise here). Also not modelled: IPC_SET/IPC_STAT, ENOMEM, SHM_HUGETLB, the shmem accounting
/// ENOMEM of huge segments, LSM and audit hooks.</para>
/// <para>Owned by the IPC namespace's actor; not thread-safe. No call allocates except the first use of a key
/// (key table growth) and object-array growth.</para>
/// </remarks>
public sealed class IpcNamespaceState
{
    private readonly IpcIds _msg = new(IpcType.Msg);
    private readonly IpcIds _sem = new(IpcType.Sem);
    private readonly IpcIds _shm = new(IpcType.Shm);

    // ns->used_sems (ipc/sem.c:newary(), freeary()). Invariant: equals the sum of Nsems over live sets.
    private long _usedSems;

    // ns->shm_tot in pages (ipc/shm.c:newseg(), shm_destroy()). Invariant: equals the sum of pages of live segments.
    private ulong _shmTot;

    /// <summary>A fresh IPC namespace with the Linux 6.18 default limits.</summary>
    public IpcNamespaceState()
        : this(IpcLimits.Default)
    {
    }

    /// <summary>A fresh IPC namespace with the given limits.</summary>
    public IpcNamespaceState(IpcLimits limits) => Limits = limits;

    /// <summary>The limit sysctls; a new instance may be swapped in (Linux allows lowering below current use).</summary>
    public IpcLimits Limits { get; set; }

    /// <summary>The message queue id set.</summary>
    public IpcIds Messages => _msg;

    /// <summary>The semaphore set id set.</summary>
    public IpcIds Semaphores => _sem;

    /// <summary>The shared memory id set.</summary>
    public IpcIds SharedMemory => _shm;

    /// <summary><c>ns-&gt;used_sems</c>: semaphores in all live sets (checked against semmns).</summary>
    public long UsedSems => _usedSems;

    /// <summary><c>ns-&gt;shm_tot</c>: pages of all live segments (checked against shmall).</summary>
    public ulong ShmTotPages => _shmTot;

    /// <summary>The id set of <paramref name="type"/>.</summary>
    public IpcIds Ids(IpcType type) => type switch
    {
        IpcType.Msg => _msg,
        IpcType.Sem => _sem,
        IpcType.Shm => _shm,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown IPC type"),
    };

    /// <summary><c>msgget(key, flags)</c>, <c>semget(key, nsems, flags)</c> or <c>shmget(key, size, flags)</c>.</summary>
    /// <param name="type">Which syscall.</param>
    /// <param name="key">The key; <see cref="IpcConstants.PrivateKey"/> always creates.</param>
    /// <param name="flags">IPC_CREAT, IPC_EXCL and the 9 permission bits (mode of a new object, access asked of an existing one).</param>
    /// <param name="nsemsOrSize">
    /// Ignored for msg; for sem the <c>int nsems</c> argument (truncated to 32 bits as the syscall ABI does); for shm
    /// the <c>size_t size</c> argument (reinterpreted as unsigned, so -1 is SIZE_MAX).
    /// </param>
    /// <param name="cred">The caller's credentials.</param>
    /// <param name="requestedId">The calling task's pending next_id (2008 series), or null.</param>
    public IpcGetResult Get(IpcType type, int key, int flags, long nsemsOrSize, IpcCredentials cred, long? requestedId = null)
    {
        var ids = Ids(type);
        var nsems = 0;
        var size = 0UL;
        if (type == IpcType.Sem)
        {
            nsems = unchecked((int)nsemsOrSize);
            if (nsems < 0 || nsems > Limits.Semmsl)
            {
                return IpcGetResult.Fail(Errno.EINVAL); // ipc/sem.c:ksys_semget(): before any lookup
            }
        }
        else if (type == IpcType.Shm)
        {
            size = unchecked((ulong)nsemsOrSize); // ipc/shm.c:ksys_shmget() checks nothing before the lookup
        }

        if (key == IpcConstants.PrivateKey)
        {
            return New(type, ids, key, flags, nsems, size, cred, requestedId); // ipc/util.c:ipcget_new()
        }

        // ipc/util.c:ipcget_public()
        var idx = ids.FindKey(key);
        if (idx < 0)
        {
            if ((flags & IpcConstants.Create) == 0)
            {
                return IpcGetResult.Fail(Errno.ENOENT); // ipcget_public(): key not used, no IPC_CREAT
            }

            return New(type, ids, key, flags, nsems, size, cred, requestedId);
        }

        if ((flags & IpcConstants.Create) != 0 && (flags & IpcConstants.Exclusive) != 0)
        {
            return IpcGetResult.Fail(Errno.EEXIST); // ipcget_public(): IPC_CREAT|IPC_EXCL on an existing key
        }

        ref readonly var obj = ref ids.At(idx);
        if (type == IpcType.Sem && nsems > obj.Nsems)
        {
            return IpcGetResult.Fail(Errno.EINVAL); // ipc/sem.c:sem_more_checks(): more semaphores than the set has
        }

        if (type == IpcType.Shm && obj.Size < size)
        {
            return IpcGetResult.Fail(Errno.EINVAL); // ipc/shm.c:shm_more_checks(): segment smaller than asked
        }

        if (!IpcIds.Permitted(obj, flags, cred))
        {
            return IpcGetResult.Fail(Errno.EACCES); // ipc/util.c:ipc_check_perms(): ipcperms() refused
        }

        return IpcGetResult.Existing(obj.Id);
    }

    /// <summary><c>msgctl(id, IPC_RMID)</c>, <c>semctl(id, 0, IPC_RMID)</c> or <c>shmctl(id, IPC_RMID)</c>.</summary>
    /// <returns><see cref="Errno.None"/>, EINVAL (negative, unknown or stale id) or EPERM (not owner/creator).</returns>
    public Errno Remove(IpcType type, int id, IpcCredentials cred)
    {
        var ids = Ids(type);

        // Negative ids: ksys_msgctl()/ksys_semctl()/ksys_shmctl() return EINVAL up front; CtlObtainCheck does too.
        var err = ids.CtlObtainCheck(id, cred, out var idx); // ipc/util.c:ipcctl_obtain_check(): EINVAL or EPERM
        if (err != Errno.None)
        {
            return err;
        }

        var obj = ids.RemoveAt(idx); // ipc/util.c:ipc_rmid() via freeque()/freeary()/shm_destroy()
        if (type == IpcType.Sem)
        {
            _usedSems -= obj.Nsems; // ipc/sem.c:freeary()
        }
        else if (type == IpcType.Shm)
        {
            _shmTot -= Pages(obj.Size); // ipc/shm.c:shm_destroy()
        }

        return Errno.None;
    }

    /// <summary>Reads <c>/proc/sys/kernel/{msg,sem,shm}_next_id</c>: the value, -1 when unset.</summary>
    public int ReadNextId(IpcType type) => Ids(type).NextId;

    /// <summary>Writes <c>/proc/sys/kernel/{msg,sem,shm}_next_id</c>.</summary>
    /// <returns>
    /// EACCES without CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE (the file is 0444 for others and the open fails);
    /// EINVAL outside [0, INT_MAX], so -1 cannot be written; else <see cref="Errno.None"/>.
    /// </returns>
    public Errno WriteNextId(IpcType type, long value, IpcCredentials cred)
    {
        if (!cred.CapSysAdmin && !cred.CapCheckpointRestore)
        {
            return Errno.EACCES; // ipc/ipc_sysctl.c:ipc_permissions(): mode 0666 only if checkpoint_restore_ns_capable()
        }

        if (value is < 0 or > int.MaxValue)
        {
            return Errno.EINVAL; // proc_dointvec_minmax() with extra1 = SYSCTL_ZERO, extra2 = SYSCTL_INT_MAX
        }

        Ids(type).SetNextId((int)value);
        return Errno.None;
    }

    /// <summary>The live objects of <paramref name="type"/> in index order (audits; allocates).</summary>
    public IEnumerable<IpcObject> LiveObjects(IpcType type) => Ids(type).LiveObjects();

    /// <summary>Checks the invariants of all three id sets and the usage counters.</summary>
    /// <exception cref="InvariantViolationException">An invariant is broken (a model bug).</exception>
    public void CheckInvariants()
    {
        _msg.CheckInvariants();
        _sem.CheckInvariants();
        _shm.CheckInvariants();

        long sems = 0;
        foreach (var obj in _sem.LiveObjects())
        {
            sems += obj.Nsems;
        }

        if (sems != _usedSems)
        {
            throw new InvariantViolationException("used_sems equals the sum of nsems of live sets", (UsedSems: _usedSems, Sum: sems));
        }

        ulong pages = 0;
        foreach (var obj in _shm.LiveObjects())
        {
            pages += Pages(obj.Size);
        }

        if (pages != _shmTot)
        {
            throw new InvariantViolationException("shm_tot equals the pages of live segments", (ShmTot: _shmTot, Sum: pages));
        }
    }

    /// <summary>The create path: ipc/msg.c:newque(), ipc/sem.c:newary(), ipc/shm.c:newseg(), each ending in ipc_addid().</summary>
    private IpcGetResult New(IpcType type, IpcIds ids, int key, int flags, int nsems, ulong size, IpcCredentials cred, long? requestedId)
    {
        var mode = flags & IpcConstants.ModeMask;
        switch (type)
        {
            case IpcType.Msg:
                return ids.Add(key, mode, cred, 0, 0, Limits.Msgmni, requestedId);

            case IpcType.Sem:
            {
                if (nsems == 0)
                {
                    return IpcGetResult.Fail(Errno.EINVAL); // ipc/sem.c:newary(): a new set needs nsems >= 1
                }

                if (_usedSems + nsems > Limits.Semmns)
                {
                    return IpcGetResult.Fail(Errno.ENOSPC); // newary(): used_sems + nsems > semmns
                }

                var result = ids.Add(key, mode, cred, nsems, 0, Limits.Semmni, requestedId);
                if (result.IsSuccess)
                {
                    _usedSems += nsems;
                }

                return result;
            }

            default:
            {
                if (size < 1 || size > Limits.Shmmax)
                {
                    return IpcGetResult.Fail(Errno.EINVAL); // ipc/shm.c:newseg(): size < SHMMIN or > shmmax
                }

                var numPages = Pages(size);
                if (numPages << IpcConstants.PageShift < size)
                {
                    return IpcGetResult.Fail(Errno.ENOSPC); // newseg(): page rounding overflowed
                }

                if (_shmTot + numPages < _shmTot || _shmTot + numPages > Limits.Shmall)
                {
                    return IpcGetResult.Fail(Errno.ENOSPC); // newseg(): shm_tot + numpages > shmall
                }

                var result = ids.Add(key, mode, cred, 0, size, Limits.Shmmni, requestedId);
                if (result.IsSuccess)
                {
                    _shmTot += numPages;
                }

                return result;
            }
        }
    }

    // newseg(): numpages = (size + PAGE_SIZE - 1) >> PAGE_SHIFT, in size_t arithmetic (wraps like C).
    private static ulong Pages(ulong size) => unchecked(size + IpcConstants.PageSize - 1) >> IpcConstants.PageShift;
}
