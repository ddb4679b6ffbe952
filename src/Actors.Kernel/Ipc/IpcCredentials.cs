namespace Actors.Kernel.Ipc;

/// <summary>The credentials an IPC call is checked against: effective ids and the relevant capabilities.</summary>
/// <remarks>
/// Models the parts of <c>struct cred</c> that ipc/util.c reads: <c>current_euid()</c>, <c>current_egid()</c>
/// (creator and owner of a new object, <c>ipc_addid()</c>), the group test of <c>ipcperms()</c>, and
/// <c>ns_capable(ns-&gt;user_ns, CAP_IPC_OWNER / CAP_SYS_ADMIN / CAP_CHECKPOINT_RESTORE)</c>: the capability
/// flags mean "held in the user namespace that owns the IPC namespace".
/// Not modelled: supplementary groups (<c>in_group_p()</c> also matches those; here only <see cref="Gid"/>
/// counts), LSM hooks (<c>security_ipc_permission()</c>, <c>*_associate()</c>) and audit.
/// The model runs every task as root today (<see cref="Root"/>), but every rule honours any credential.
/// </remarks>
/// <param name="Uid">Effective uid (<c>current_euid()</c>).</param>
/// <param name="Gid">Effective gid (<c>current_egid()</c>).</param>
/// <param name="CapIpcOwner">CAP_IPC_OWNER: bypasses <c>ipcperms()</c>.</param>
/// <param name="CapSysAdmin">CAP_SYS_ADMIN: IPC_RMID on others' objects, writing <c>*_next_id</c>.</param>
/// <param name="CapCheckpointRestore">CAP_CHECKPOINT_RESTORE: writing <c>*_next_id</c>.</param>
public readonly record struct IpcCredentials(
    uint Uid,
    uint Gid,
    bool CapIpcOwner = false,
    bool CapSysAdmin = false,
    bool CapCheckpointRestore = false)
{
    /// <summary>uid 0, gid 0 with every capability: how the model runs tasks today.</summary>
    public static IpcCredentials Root => new(0, 0, CapIpcOwner: true, CapSysAdmin: true, CapCheckpointRestore: true);

    /// <summary>An unprivileged user: no capabilities.</summary>
    public static IpcCredentials User(uint uid, uint gid) => new(uid, gid);
}
