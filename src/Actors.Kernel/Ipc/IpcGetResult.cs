namespace Actors.Kernel.Ipc;

/// <summary>The outcome of a <c>msgget</c>/<c>semget</c>/<c>shmget</c>: an id or an errno.</summary>
/// <param name="Id">The IPC id on success; -1 on failure.</param>
/// <param name="Error"><see cref="Errno.None"/> on success, else the errno the call fails with.</param>
/// <param name="Created">True when a new object was created (false when an existing key was returned).</param>
/// <param name="RequestedIdConsumed">
/// True when the call reached id allocation with a task's requested id (2008 next_id series), so the caller must
/// clear the task's <c>next_id</c> slot; true on EINVAL/EEXIST from the requested id too.
/// </param>
public readonly record struct IpcGetResult(int Id, Errno Error, bool Created, bool RequestedIdConsumed)
{
    /// <summary>True when the call returned an id.</summary>
    public bool IsSuccess => Error == Errno.None;

    internal static IpcGetResult Fail(Errno error, bool requestedIdConsumed = false) =>
        new(-1, error, false, requestedIdConsumed);

    internal static IpcGetResult Existing(int id) => new(id, Errno.None, false, false);

    internal static IpcGetResult New(int id, bool requestedIdConsumed) => new(id, Errno.None, true, requestedIdConsumed);

    /// <inheritdoc />
    public override string ToString() => IsSuccess ? Id.ToString() : $"-1 {Error}";
}
