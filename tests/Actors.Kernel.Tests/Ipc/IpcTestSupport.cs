using Actors.Kernel.Ipc;
using Xunit;

namespace Actors.Kernel.Tests.Ipc;

/// <summary>Shorthands shared by the IPC tests.</summary>
internal static class IpcTestSupport
{
    public const int Creat = IpcConstants.Create;
    public const int Excl = IpcConstants.Exclusive;
    public const int Private = IpcConstants.PrivateKey;

    public static readonly IpcCredentials Root = IpcCredentials.Root;

    /// <summary>A valid nsems/size argument for a create of <paramref name="type"/> (ignored for msg).</summary>
    public static long Arg(IpcType type) => type switch
    {
        IpcType.Sem => 1,
        IpcType.Shm => 4096,
        _ => 0,
    };

    /// <summary>Creates an IPC_PRIVATE object as root and asserts success; returns its id.</summary>
    public static int CreatePrivate(this IpcNamespaceState ns, IpcType type = IpcType.Msg, int mode = 0x1B6 /* 0666 */)
    {
        var r = ns.Get(type, Private, Creat | mode, Arg(type), Root);
        Assert.True(r.IsSuccess, $"create {type} failed: {r}");
        Assert.True(r.Created);
        return r.Id;
    }

    /// <summary>Creates and immediately removes one object; returns the id it had.</summary>
    public static int CreateRemove(this IpcNamespaceState ns, IpcType type = IpcType.Msg)
    {
        var id = ns.CreatePrivate(type);
        Assert.Equal(Errno.None, ns.Remove(type, id, Root));
        return id;
    }

    /// <summary>Octal literal helper: <c>Oct(600)</c> is 0600.</summary>
    public static int Oct(int digits)
    {
        var value = 0;
        var scale = 1;
        while (digits > 0)
        {
            value += digits % 10 * scale;
            scale *= 8;
            digits /= 10;
        }

        return value;
    }
}
