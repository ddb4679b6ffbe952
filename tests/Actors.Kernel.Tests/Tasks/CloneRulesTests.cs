using Actors.Kernel.Tasks;
using Xunit;
using static Actors.Kernel.Tasks.CloneFlags;

namespace Actors.Kernel.Tests.Tasks;

/// <summary>Spec 2.1 "error precedence" and 3.1: the flag checks of clone3_args_valid() and copy_process() before any
/// namespace or pid is touched (<see cref="CloneRules.Check"/>), and copy_pid_ns()'s (<see cref="CloneRules.CheckNewPid"/>).
/// Every failure is EINVAL, so the table lists one rule per row, in the kernel's order, with the flags that trip only
/// that rule, and then the combinations that must pass.</summary>
public class CloneRulesTests
{
    private const CloneFlags Thread = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD;

    public static TheoryData<CloneFlags, int, bool, bool, Errno> Table => new()
    {
        // clone3_args_valid(): set_tid_size > MAX_PID_NS_LEVEL
        { None, 33, false, true, Errno.EINVAL },
        { None, int.MaxValue, false, true, Errno.EINVAL },
        { None, 32, false, true, Errno.None },
        // copy_process(): CLONE_NEWNS with CLONE_FS
        { CLONE_NEWNS | CLONE_FS, 0, false, true, Errno.EINVAL },
        { CLONE_NEWNS | CLONE_FS | CLONE_NEWPID, 0, false, true, Errno.EINVAL },
        // CLONE_THREAD without CLONE_SIGHAND
        { CLONE_THREAD, 0, false, true, Errno.EINVAL },
        { CLONE_THREAD | CLONE_VM, 0, false, true, Errno.EINVAL },
        // CLONE_SIGHAND without CLONE_VM
        { CLONE_SIGHAND, 0, false, true, Errno.EINVAL },
        { CLONE_SIGHAND | CLONE_THREAD, 0, false, true, Errno.EINVAL },
        // CLONE_PARENT from a namespace init (SIGNAL_UNKILLABLE)
        { CLONE_PARENT, 0, true, true, Errno.EINVAL },
        { CLONE_PARENT | CLONE_NEWPID, 0, true, true, Errno.EINVAL },
        { CLONE_PARENT | Thread, 0, true, true, Errno.EINVAL },
        // CLONE_THREAD into another pid or user namespace, or while pid_ns_for_children != the active namespace
        { Thread | CLONE_NEWPID, 0, false, true, Errno.EINVAL },
        { Thread | CLONE_NEWUSER, 0, false, true, Errno.EINVAL },
        { Thread, 0, false, false, Errno.EINVAL },
        // accepted
        { None, 0, false, true, Errno.None },
        { None, 0, true, false, Errno.None },           // fork after unshare/setns: CheckNewPid's business only
        { Thread, 0, false, true, Errno.None },
        { Thread, 0, true, true, Errno.None },           // a thread of an init
        { Thread | CLONE_PARENT, 0, false, true, Errno.None },
        { CLONE_PARENT, 0, false, true, Errno.None },
        { CLONE_PARENT | CLONE_NEWPID, 0, false, true, Errno.None }, // allowed from a non-init in current kernels
        { CLONE_NEWPID, 1, true, true, Errno.None },
        { CLONE_NEWPID, 0, false, false, Errno.None },   // rejected later, by copy_pid_ns()
        { CLONE_NEWNS, 0, false, true, Errno.None },
        { CLONE_FS, 0, false, true, Errno.None },
        { CLONE_VM, 0, false, true, Errno.None },
        { CLONE_VM | CLONE_SIGHAND, 0, false, true, Errno.None },
        { CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWPID, 0, false, true, Errno.None },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Check_follows_the_copy_process_table(CloneFlags flags, int setTidCount, bool unkillable, bool childrenInOwnNs, Errno expected)
    {
        Assert.Equal(expected, CloneRules.Check(flags, setTidCount, unkillable, childrenInOwnNs));
    }

    [Theory]
    [InlineData(true, Errno.None)]
    [InlineData(false, Errno.EINVAL)]
    public void CheckNewPid_requires_children_in_own_namespace(bool childrenInOwnNs, Errno expected)
    {
        Assert.Equal(expected, CloneRules.CheckNewPid(childrenInOwnNs));
    }

    [Fact]
    public void MaxSetTid_is_MAX_PID_NS_LEVEL()
    {
        Assert.Equal(32, CloneRules.MaxSetTid);
    }

    [Fact]
    public void Check_CLONE_NEWUSER_with_CLONE_FS_fails_EINVAL()
    {
        // kernel/fork.c:copy_process(), right after the CLONE_NEWNS|CLONE_FS check:
        // "if ((clone_flags & (CLONE_NEWUSER|CLONE_FS)) == (CLONE_NEWUSER|CLONE_FS)) return ERR_PTR(-EINVAL);"
        Assert.Equal(Errno.EINVAL, CloneRules.Check(CLONE_NEWUSER | CLONE_FS, 0, unkillable: false, childrenInOwnNs: true));
    }
}
