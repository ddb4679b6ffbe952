using Actors.Kernel;
using Actors.Kernel.Ipc;

namespace Actors.Benchmarks.Ipc;

/// <summary>The baseline of <see cref="IpcBenchmarks"/>: the model's own <see cref="IpcNamespaceState"/> behind a
/// <c>lock</c> instead of an actor, as Linux puts an id set behind its rwsem (ids-&gt;rwsem, taken for writing by
/// ipc/util.c:ipcget() and by msgctl(IPC_RMID)).</summary>
/// <remarks><see cref="GetRemove"/> takes the lock twice, once per system call, as the actor handles two messages.
/// Every caller is root (<see cref="IpcCredentials.Root"/>), as in the model. Thread-safe.</remarks>
public sealed class LockedIpcNamespace
{
    /// <summary>msgget's flags in both benchmarks: mode 0600, no IPC_CREAT (IPC_PRIVATE always creates).</summary>
    public const int Mode0600 = 0x180;

    private readonly Lock _lock = new();
    private readonly IpcNamespaceState _state;

    public LockedIpcNamespace(IpcLimits limits)
    {
        _state = new IpcNamespaceState(limits);
    }

    /// <summary>The state. Read it only when no call is running.</summary>
    public IpcNamespaceState State => _state;

    /// <summary>msgget(IPC_PRIVATE, 0600) then msgctl(id, IPC_RMID); returns the id.</summary>
    public int GetRemove()
    {
        IpcGetResult r;
        lock (_lock)
        {
            r = _state.Get(IpcType.Msg, IpcConstants.PrivateKey, Mode0600, 0, IpcCredentials.Root);
        }
        if (!r.IsSuccess)
        {
            throw new InvalidOperationException($"msgget failed: {r}");
        }
        Errno e;
        lock (_lock)
        {
            e = _state.Remove(IpcType.Msg, r.Id, IpcCredentials.Root);
        }
        if (e != Errno.None)
        {
            throw new InvalidOperationException($"msgctl({r.Id}, IPC_RMID) failed: {e}");
        }
        return r.Id;
    }

    /// <summary><paramref name="count"/> calls of <see cref="GetRemove"/>; returns the sum of the ids.</summary>
    public long Run(int count)
    {
        long sum = 0;
        for (var i = 0; i < count; i++)
        {
            sum += GetRemove();
        }
        return sum;
    }
}
