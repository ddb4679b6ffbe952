namespace Actors.Kernel;

/// <summary>Linux errno values (x86-64 numbering, include/uapi/asm-generic/errno-base.h and errno.h).</summary>
/// <remarks>Expected kernel failures travel as these values in replies; exceptions in the model mean bugs.</remarks>
public enum Errno
{
    /// <summary>No error.</summary>
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    ESRCH = 3,
    EINTR = 4,
    EIO = 5,
    E2BIG = 7,
    EBADF = 9,
    ECHILD = 10,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    ENODEV = 19,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    ENOSPC = 28,
    ERANGE = 34,
    ENOSYS = 38,
    EIDRM = 43,
    EOPNOTSUPP = 95,
}
