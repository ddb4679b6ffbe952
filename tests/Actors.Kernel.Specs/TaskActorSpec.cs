using Actors.Kernel.Tasks;
using Akka.Actor;
using Xunit;
using Xunit.Abstractions;
using static Actors.Kernel.Specs.SyscallHelpers;

namespace Actors.Kernel.Specs;

/// <summary>The task protocol (TaskProtocol.Call -> SyscallResult): one call at a time, replies to the sender with
/// the call's correlation id, "dead" once the task exits, and the argument checks the task makes itself.</summary>
public sealed class TaskActorSpec(ITestOutputHelper output) : ProcessSpec(output)
{
    [Fact]
    public void Task_must_reply_to_the_sender_with_the_call_correlation_id()
    {
        var a = Fork(Init);

        var probe = Start(a, new Calls.GetPid(), out var corr);

        var r = probe.ExpectMsg<SyscallResult>();
        Assert.Equal(SyscallResult.Ok(corr, 2), r);
        ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Task_must_return_the_new_task_of_a_fork_with_its_number_as_the_parent_sees_it()
    {
        var a = Fork(Init);

        var r = Call(a, Clone(CloneFlags.CLONE_NEWPID));

        Assert.Equal(3, Ok(r));
        var child = r.NewTask!;
        Assert.Equal(3, RootNr(child));
        Assert.Equal(1, child.Pid.Numbers[1].Nr);
        Assert.False(child.Actor.IsNobody());
        Assert.Same(a, child.Group.RealParent);
        AssertHealthy();
    }

    [Fact]
    public void Task_must_answer_dead_to_calls_once_it_exited()
    {
        var a = Fork(Init);

        Assert.Equal(0, Ok(Call(a, Exit(7))));
        var r = Call(a, new Calls.GetPid());

        Assert.True(r.Dead);
        Assert.Equal(-1, r.Value);
        AwaitExitState(a, ExitState.Zombie);
        Assert.True(Call(a, Clone(CloneFlags.None)).Dead);
        Assert.Equal(2, Ok(Call(Init, Wait())));
        AssertHealthy();
    }

    [Fact]
    public void Task_must_end_a_blocked_wait_as_dead_when_killed()
    {
        var a = Fork(Init);
        var b = Fork(a);
        var waiting = Start(a, Wait(), out var corr);
        waiting.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Assert.Equal(0, Ok(Call(Init, new Calls.Kill(2, Signals.SIGKILL))));

        Assert.Equal(SyscallResult.Died(corr), waiting.ExpectMsg<SyscallResult>());
        AwaitExitState(a, ExitState.Zombie);
        AwaitAssert(() => Assert.Same(Init, b.Group.RealParent));
        Assert.Equal(1, Ok(Call(b, new Calls.GetPpid())));
        Assert.Equal(2, Ok(Call(Init, Wait(2))));
        AssertHealthy();
    }

    [Fact]
    public void Task_must_get_EINTR_when_its_blocked_wait_is_interrupted()
    {
        var a = Fork(Init);
        Fork(a);
        var waiting = Start(a, Wait(), out var corr);
        waiting.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Ctx.View.TaskListActor.Tell(new TaskListProtocol.CancelWait(a.Id));

        Assert.Equal(SyscallResult.Fail(corr, Errno.EINTR), waiting.ExpectMsg<SyscallResult>());
        Assert.Equal(2, Ok(Call(a, new Calls.GetPid())));
        AssertHealthy();
    }

    [Fact]
    public void Task_must_answer_getpid_with_the_group_and_gettid_with_itself()
    {
        var a = Fork(Init);
        var t = Fork(a, Clone(CloneFlags.CLONE_VM | CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_THREAD));

        Assert.Equal(2, Ok(Call(t, new Calls.GetPid())));
        Assert.Equal(3, Ok(Call(t, new Calls.GetTid())));
        Assert.Equal(1, Ok(Call(t, new Calls.GetPpid())));
        Assert.Equal("2", Field(Call(t, new Calls.Read("/proc/self/status")), "Pid"));
        Assert.Equal("3", Field(Call(t, new Calls.Read("/proc/thread-self/status")), "Pid"));
        Assert.Equal("2", Field(Call(Init, new Calls.Read("/proc/2/task/3/status")), "Tgid"));
        Assert.Equal(Errno.ENOENT, Err(Call(Init, new Calls.Read("/proc/1/task/3/status"))));
        AssertHealthy();
    }

    [Theory]
    [InlineData("/proc/sys/kernel/nope", null, Errno.ENOENT)]
    [InlineData("/proc/99/status", null, Errno.ENOENT)]
    [InlineData("/proc/0/status", null, Errno.ENOENT)]
    [InlineData("/proc/sys/kernel/ns_last_pid", "abc", Errno.EINVAL)]
    [InlineData("/proc/sys/kernel/ns_last_pid", "+5", Errno.EINVAL)]        // proc_get_long(): no sign but '-'
    [InlineData("/proc/sys/kernel/ns_last_pid", "1.5", Errno.EINVAL)]
    [InlineData("/proc/sys/kernel/pid_max", "x200", Errno.EINVAL)]
    [InlineData("/proc/1/status", "x", Errno.EINVAL)]                       // no write method: vfs_write()
    [InlineData("/proc/self/status", "x", Errno.EINVAL)]
    [InlineData("/etc/passwd", "x", Errno.ENOENT)]
    public void Task_must_refuse_unknown_files_and_bad_values(string path, string? write, Errno expected)
    {
        var r = Call(Init, write is null ? new Calls.Read(path) : new Calls.Write(path, write));

        Assert.Equal(expected, Err(r));
        Assert.Null(r.Text);
        Assert.Equal("1\n", Call(Init, new Calls.Read("/proc/sys/kernel/ns_last_pid")).Text);
    }

    [Fact]
    public void Task_must_accept_a_sysctl_value_with_surrounding_white_space()
    {
        Assert.Equal(0, Ok(Call(Init, new Calls.Write("/proc/sys/kernel/ns_last_pid", " 42\n"))));

        Assert.Equal("42\n", Call(Init, new Calls.Read("/proc/sys/kernel/ns_last_pid")).Text);
        Assert.Equal(43, RootNr(Fork(Init)));
    }

    [Theory]
    [InlineData(CloneFlags.CLONE_THREAD)]
    [InlineData(CloneFlags.CLONE_SIGHAND)]
    [InlineData(CloneFlags.CLONE_PARENT)]
    [InlineData(CloneFlags.CLONE_NEWNS | CloneFlags.CLONE_FS)]
    [InlineData(CloneFlags.CLONE_VM | CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_THREAD | CloneFlags.CLONE_NEWPID)]
    public void Task_must_refuse_bad_clone_flags_before_touching_namespaces_or_numbers(CloneFlags flags)
    {
        var refs = Ctx.View.RootNs!.Refs;

        Assert.Equal(Errno.EINVAL, Err(Call(Init, Clone(flags))));

        Assert.Single(Ctx.View.Namespaces);
        Assert.Equal(refs, Ctx.View.RootNs.Refs);
        Assert.Equal("1\n", Call(Init, new Calls.Read("/proc/sys/kernel/ns_last_pid")).Text);
        Assert.Equal(2, Ok(Call(Init, new Calls.Fork())));
        AssertHealthy();
    }

    [Fact]
    public void Task_must_give_a_child_with_new_namespaces_its_own_nsproxy_reference()
    {
        var root = Ctx.View.RootNs!;
        var refs = root.Refs;

        var plain = Fork(Init);
        Assert.Equal(refs + 1, root.Refs);                      // its pid; the nsproxy is shared
        var isolated = Fork(Init, Clone(CloneFlags.CLONE_NEWIPC | CloneFlags.CLONE_NEWUTS | CloneFlags.CLONE_NEWNET));
        Assert.Equal(refs + 3, root.Refs);                      // its pid and its own nsproxy
        Assert.Same(root, isolated.Pid.Ns);
        Ok(Call(plain, new Calls.Unshare(CloneFlags.CLONE_NEWUTS)));
        Assert.Equal(refs + 4, root.Refs);                      // plain's new nsproxy
        Assert.Equal(4, Ok(Call(plain, new Calls.Fork())));     // still in the root namespace

        Ok(Call(isolated, Exit()));
        AwaitExitState(isolated, ExitState.Zombie);
        Assert.Equal(refs + 4, root.Refs);                      // nsproxy gone, zombie pid held, + plain's child
        Assert.Equal(3, Ok(Call(Init, Wait(3))));
        AwaitAssert(() => Assert.Equal(refs + 3, root.Refs));
        AssertHealthy();
    }

    [Fact]
    public void Task_must_end_the_whole_group_on_exit_group_from_a_thread()
    {
        var a = Fork(Init);
        var t = Fork(a, Clone(CloneFlags.CLONE_VM | CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_THREAD));
        var t2 = Fork(t, Clone(CloneFlags.CLONE_VM | CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_THREAD));

        Assert.Equal(0, Ok(Call(t, new Calls.Exit(3, true))));

        AwaitReleased(t);
        AwaitReleased(t2);
        AwaitExitState(a, ExitState.Zombie);
        Assert.True(Call(a, new Calls.GetPid()).Dead);
        Assert.Equal(2, Ok(Call(Init, Wait())));
        AssertHealthy();
    }
}
