using Actors.Kernel.Tasks;
using Akka.Actor;
using Xunit;
using Xunit.Abstractions;
using static Actors.Kernel.Specs.SyscallHelpers;

namespace Actors.Kernel.Specs;

/// <summary>Spec 6 (cgroups) end to end: forks charged by the pids controller through the cgroup actors, exits and
/// reaps through the cgroup core, cgroupfs reads and writes as system calls; the reference configuration (pids on a v1
/// hierarchy, the rest on v1 or the unified hierarchy).</summary>
public sealed class CgroupSpec : ProcessSpec
{
    private const string Lim = "/sys/fs/cgroup/pids/lim";

    private readonly ITestOutputHelper _output;

    public CgroupSpec(ITestOutputHelper output)
        : base(output)
    {
        _output = output;
    }

    private long _asyncCorr = 2_000_000;

    private string Read(TaskRecord t, string path)
    {
        var r = Call(t, new Calls.Read(path));
        Assert.Equal(Errno.None, r.Errno);
        Assert.NotNull(r.Text);
        return r.Text;
    }

    private void Write(TaskRecord t, string path, string value) => Ok(Call(t, new Calls.Write(path, value)));

    /// <summary>mkdir <see cref="Lim"/> with pids.max <paramref name="max"/> and moves <paramref name="tasks"/> into
    /// it.</summary>
    private void Limit(int max, params TaskRecord[] tasks)
    {
        Ok(Call(Init, new Calls.Mkdir(Lim)));
        Write(Init, Lim + "/pids.max", $"{max}");
        foreach (var t in tasks)
        {
            Write(Init, Lim + "/cgroup.procs", $"{RootNr(t)}");
        }
    }

    [Fact]
    public void Fork_must_fail_EAGAIN_at_pids_max_and_succeed_again_once_the_child_is_reaped()
    {
        var a = Fork(Init);
        Limit(2, a);
        Assert.Equal("1\n", Read(Init, Lim + "/pids.current"));
        var b = Fork(a);
        Assert.Equal(Errno.EAGAIN, Err(Call(a, new Calls.Fork())));
        Assert.Equal("2\n", Read(Init, Lim + "/pids.current"));
        Assert.Equal("max 1\n", Read(Init, Lim + "/pids.events"));         // v1: the forking cgroup's FORKFAIL count
        Assert.Equal("max 0\n", Read(Init, "/sys/fs/cgroup/pids/pids.events"));

        Ok(Call(b, Exit()));
        AwaitExitState(b, ExitState.Zombie);
        Assert.Equal(Errno.EAGAIN, Err(Call(a, new Calls.Fork())));        // a zombie keeps its charge
        Assert.Equal(RootNr(b), Ok(Call(a, Wait())));
        AwaitAssert(() => Assert.Equal("1\n", Read(Init, Lim + "/pids.current")));

        var c = Fork(a);
        Assert.Equal("2\n", Read(Init, Lim + "/pids.current"));
        Assert.Equal("2\n", Read(Init, Lim + "/pids.peak"));
        Assert.Equal("max 2\n", Read(Init, Lim + "/pids.events"));
        Assert.Equal($"{RootNr(a)}\n{RootNr(c)}\n", Read(Init, Lim + "/tasks"));
        AssertHealthy();
    }

    [Fact]
    public void A_namespace_whose_first_process_pids_max_refused_must_stay_dead()
    {
        var a = Fork(Init);
        Limit(1, a);
        Ok(Call(a, new Calls.Unshare(CloneFlags.CLONE_NEWPID)));
        // The child got pid 1 of the new namespace before cgroup_can_fork() refused it: freeing that pid kills the
        // namespace (free_pid() clears PIDNS_ADDING), so alloc_pid() fails from now on.
        Assert.Equal(Errno.EAGAIN, Err(Call(a, new Calls.Fork())));
        Write(Init, Lim + "/pids.max", "max");
        Assert.Equal(Errno.ENOMEM, Err(Call(a, new Calls.Fork())));
        Assert.Equal("max 1\n", Read(Init, Lim + "/pids.events"));          // the second failure is not the pids one
        Assert.Equal("1\n", Read(Init, Lim + "/pids.current"));
        AssertHealthy();
    }

    [Fact]
    public void A_clone_into_a_new_namespace_refused_by_pids_max_must_leave_nothing_behind()
    {
        var a = Fork(Init);
        Limit(1, a);
        Assert.Equal(Errno.EAGAIN, Err(Call(a, Clone(CloneFlags.CLONE_NEWPID))));
        AwaitAssert(() => Assert.Single(Ctx.View.Namespaces));
        Write(Init, Lim + "/pids.max", "2");
        var n = Fork(a, Clone(CloneFlags.CLONE_NEWPID));
        Assert.Equal(1, n.Pid.Numbers[1].Nr);
        Assert.Equal("2\n", Read(Init, Lim + "/pids.current"));
        AssertHealthy();
    }

    [Fact]
    public void Exit_of_the_last_task_must_make_cgroup_events_populated_0_while_the_zombie_stays_charged()
    {
        const string C = "/sys/fs/cgroup/unified/c";
        var a = Fork(Init);
        Ok(Call(Init, new Calls.Mkdir(C)));
        Write(Init, C + "/cgroup.procs", $"{RootNr(a)}");
        Limit(5, a);
        Assert.Equal("populated 1\nfrozen 0\n", Read(Init, C + "/cgroup.events"));
        Assert.Equal($"{RootNr(a)}\n", Read(Init, C + "/cgroup.procs"));

        Ok(Call(a, Exit()));
        AwaitExitState(a, ExitState.Zombie);
        Assert.Equal("populated 0\nfrozen 0\n", Read(Init, C + "/cgroup.events"));
        Assert.Equal("populated 1\nfrozen 0\n", Read(Init, "/sys/fs/cgroup/unified/cgroup.events"));
        Assert.Equal("", Read(Init, C + "/cgroup.procs"));
        Assert.Equal("1\n", Read(Init, Lim + "/pids.current"));
        Ok(Call(Init, new Calls.Rmdir(C)));                                  // zombies do not block rmdir
        Assert.Equal(Errno.ENOENT, Err(Call(Init, new Calls.Read(C + "/cgroup.events"))));

        Assert.Equal(RootNr(a), Ok(Call(Init, Wait())));
        AwaitReleased(a);
        AwaitAssert(() => Assert.Equal("0\n", Read(Init, Lim + "/pids.current")));
        AssertHealthy();
    }

    [Fact]
    public void A_thread_moved_alone_must_leave_its_process_charged_where_each_task_is()
    {
        var a = Fork(Init);
        var t = Fork(a, Clone(CloneFlags.CLONE_THREAD | CloneFlags.CLONE_SIGHAND | CloneFlags.CLONE_VM));
        Ok(Call(Init, new Calls.Mkdir(Lim)));
        Write(Init, Lim + "/tasks", $"{RootNr(t)}");
        Assert.Equal($"{RootNr(t)}\n", Read(Init, Lim + "/tasks"));
        Assert.Equal("1\n", Read(Init, Lim + "/pids.current"));
        Assert.Equal("3\n", Read(Init, "/sys/fs/cgroup/pids/pids.current"));
        Write(Init, Lim + "/cgroup.procs", $"{RootNr(a)}");
        Assert.Equal("2\n", Read(Init, Lim + "/pids.current"));
        AssertHealthy();
    }

    [Fact]
    public void Cgroup_errors_must_reach_the_caller()
    {
        Assert.Equal(Errno.ENOENT, Err(Call(Init, new Calls.Mkdir("/sys/fs/cgroup/pids/x/y"))));
        Assert.Equal(Errno.EEXIST, Err(Call(Init, new Calls.Mkdir("/sys/fs/cgroup/pids/tasks"))));
        Assert.Equal(Errno.EBUSY, Err(Call(Init, new Calls.Rmdir("/sys/fs/cgroup/pids"))));
        Assert.Equal(Errno.EINVAL, Err(Call(Init, new Calls.Write("/sys/fs/cgroup/pids/pids.max", "-1"))));
        Assert.Equal(Errno.ESRCH, Err(Call(Init, new Calls.Write("/sys/fs/cgroup/pids/cgroup.procs", "999"))));
        Assert.Equal(Errno.EISDIR, Err(Call(Init, new Calls.Read("/sys/fs/cgroup/pids"))));
        Assert.Equal(Errno.ENOENT, Err(Call(Init, new Calls.Read("/sys/fs/cgroup/nosuch/tasks"))));
        AssertHealthy();
    }

    /// <summary>Parents fork into a cgroup whose pids.max is below what they ask for, each keeping a few children
    /// before it kills and reaps them, while a task migrates itself back and forth elsewhere (the rwsem's writer) and
    /// init keeps reading pids.current: the count never passes the limit (pids.peak is the watermark of every charge),
    /// and once everything is reaped the counters match the tasks again.</summary>
    /// <remarks>The parents move in rounds (each round, every parent makes its next call, all at once) so that their
    /// calls overlap whatever the thread pool does: left free, a cold pool with few threads can run one parent's whole
    /// loop before the next starts, and the limit is never reached.</remarks>
    [Theory]
    [InlineData(1)]
    [InlineData(7919)]
    [InlineData(20260401)]
    public async Task Concurrent_forks_and_reaps_must_never_charge_past_pids_max(int seed)
    {
        _output.WriteLine($"seed {seed}");
        const int Parents = 8, ForksEach = 50, Max = 20;
        var parents = Enumerable.Range(0, Parents).Select(_ => Fork(Init)).ToArray();
        Limit(Max, parents);
        var mover = Fork(Init);
        Ok(Call(Init, new Calls.Mkdir("/sys/fs/cgroup/pids/x")));
        Ok(Call(Init, new Calls.Mkdir("/sys/fs/cgroup/pids/y")));

        var rng = new Random(seed);
        var workers = parents.Select(p => new Worker(p, ForksEach, rng.Next(1, 6))).ToArray();
        var refused = 0;
        var forked = 0;
        var done = 0;
        var monitor = Monitor();
        var migrations = Migrate();
        var rounds = 0;
        while (workers.Any(w => w.Left > 0 || w.Children.Count > 0))
        {
            await Task.WhenAll(workers.Select(w => Step(w, new Random(rng.Next()))));
            rounds++;
        }
        Volatile.Write(ref done, 1);
        var samples = await monitor;
        var moves = await migrations;
        _output.WriteLine($"{rounds} rounds, {forked} forks, {refused} refused (EAGAIN), {samples} pids.current samples, {moves} migrations");

        Assert.True(refused > 0, "no fork reached the limit");
        Assert.Equal(Parents * ForksEach, forked + refused);
        Assert.True(long.Parse(Read(Init, Lim + "/pids.peak").TrimEnd('\n'), System.Globalization.CultureInfo.InvariantCulture) <= Max);
        AwaitAssert(() => Assert.Equal($"{Parents}\n", Read(Init, Lim + "/pids.current")));
        AssertHealthy();

        // One call of a parent: a fork while it keeps fewer children than it wants, else every child killed (exit, in
        // random order) and reaped, and a new number of children to keep.
        async Task Step(Worker w, Random r)
        {
            if (w.Left > 0 && w.Children.Count < w.Keep)
            {
                w.Left--;
                var result = await CallAsync(w.Parent, new Calls.Fork());
                if (result.Errno == Errno.EAGAIN)
                {
                    Interlocked.Increment(ref refused);
                    w.Keep = w.Children.Count;                      // reap what it has, then try again
                    return;
                }
                Assert.Equal(Errno.None, result.Errno);
                Interlocked.Increment(ref forked);
                w.Children.Add(result.NewTask!);
                return;
            }
            foreach (var child in w.Children.OrderBy(_ => r.Next()))
            {
                Ok(await CallAsync(child, Exit()));
            }
            foreach (var _ in w.Children)
            {
                Assert.True(Ok(await CallAsync(w.Parent, Wait())) > 0);
            }
            w.Children.Clear();
            w.Keep = r.Next(1, 6);
        }

        async Task<int> Monitor()
        {
            var n = 0;
            while (Volatile.Read(ref done) == 0)
            {
                var r = await CallAsync(Init, new Calls.Read(Lim + "/pids.current"));
                Assert.True(int.Parse(r.Text!.TrimEnd('\n'), System.Globalization.CultureInfo.InvariantCulture) <= Max, $"pids.current {r.Text} > {Max}");
                n++;
            }
            return n;
        }

        async Task<int> Migrate()
        {
            var n = 0;
            while (Volatile.Read(ref done) == 0)
            {
                Ok(await CallAsync(mover, new Calls.Write($"/sys/fs/cgroup/pids/{(n % 2 == 0 ? "x" : "y")}/cgroup.procs", "0")));
                n++;
            }
            return n;
        }
    }

    /// <summary>A parent of the concurrent test: the forks it has left, the children it keeps before reaping them.</summary>
    private sealed class Worker(TaskRecord parent, int forks, int keep)
    {
        public TaskRecord Parent { get; } = parent;
        public int Left { get; set; } = forks;
        public int Keep { get; set; } = keep;
        public List<TaskRecord> Children { get; } = [];
    }

    /// <summary>A call whose reply completes a task (Ask: no thread waits for it, so many loops overlap). The reply
    /// completes the task on the replying actor's thread; the caller goes on from the thread pool, not inline in that
    /// actor's mailbox run (inline, one loop would keep the mailbox busy and run alone).</summary>
    private async Task<SyscallResult> CallAsync(TaskRecord task, Syscall call)
    {
        var corr = Interlocked.Increment(ref _asyncCorr);
        var r = await task.Actor.Ask<SyscallResult>(new TaskProtocol.Call(corr, call), TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        await Task.Yield();
        Assert.Equal(corr, r.Corr);
        return r;
    }
}

/// <summary>v1 release-agent calls end to end, with an agent configured.</summary>
public sealed class CgroupReleaseAgentSpec(ITestOutputHelper output)
    : ProcessSpec(output, """actors.cgroup.release-agent = "/sbin/agent" """)
{
    [Fact]
    public void Exit_of_the_last_task_of_a_notifying_cgroup_must_call_the_agent()
    {
        const string A = "/sys/fs/cgroup/cpu/a";
        var p = Fork(Init);
        Ok(Call(Init, new Calls.Mkdir(A)));
        Ok(Call(Init, new Calls.Write(A + "/notify_on_release", "1")));
        Ok(Call(Init, new Calls.Write(A + "/cgroup.procs", $"{RootNr(p)}")));
        Assert.Equal("", Call(Init, new Calls.Read("/actors/cgroup/cpu/release_agent.calls")).Text);
        Ok(Call(p, Exit()));
        AwaitExitState(p, ExitState.Zombie);
        Assert.Equal("/sbin/agent /a\n", Call(Init, new Calls.Read("/actors/cgroup/cpu/release_agent.calls")).Text);
        Assert.Equal("", Call(Init, new Calls.Read("/actors/cgroup/pids/release_agent.calls")).Text);
        Assert.Equal(Errno.ENOENT, Err(Call(Init, new Calls.Read("/actors/cgroup/unified/release_agent.calls"))));
        Assert.Equal(RootNr(p), Ok(Call(Init, Wait())));
        AssertHealthy();
    }
}
