using Actors.Kernel;
using Actors.Kernel.Specifications;
using Actors.Kernel.Tasks;
using Akka.Actor;
using Akka.Configuration;

namespace Actors.Benchmarks.Infrastructure;

/// <summary>An actor system for a benchmark (model actors on the thread-pool dispatcher <c>actors.dispatchers.model</c>,
/// invariant checks off, quiet logs) and, if asked, a booted kernel with helpers to make system calls from outside.</summary>
/// <remarks>Created in [GlobalSetup], disposed in [GlobalCleanup]. The helpers use Ask with a timeout: they are for
/// setting up and checking, never for the measured loop.</remarks>
public sealed class BenchKernel : IDisposable
{
    /// <summary>The benchmark profile, layered over the kernel's reference.conf (hocon/reference.conf).</summary>
    public const string Hocon = """
        actors.kernel.check-invariants = off
        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
        }
        """;

    /// <summary>Gives the model actors Akka's default mailbox queue (<c>UnboundedMailbox</c>: a <c>ConcurrentQueue</c>)
    /// instead of the reference config's <c>MpscMailbox</c>: the baseline of the mailbox comparisons (quick mode
    /// <c>akkamailbox</c>, fork modes <c>...+akka</c>).</summary>
    public const string AkkaMailboxHocon = "actors.dispatchers.model.mailbox-type = \"Akka.Dispatch.UnboundedMailbox, Akka\"";

    /// <summary>How long a setup call or a measured invocation may take before the benchmark fails instead of hanging.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private long _corr;

    /// <summary>HOCON layered over <see cref="Hocon"/> by kernels created from now on (the quick mode's diagnostics set
    /// it; benchmarks leave it empty).</summary>
    public static string ExtraHocon { get; set; } = "";

    private BenchKernel(ActorSystem system, KernelContext context)
    {
        System = system;
        Context = context;
    }

    public ActorSystem System { get; }

    public KernelContext Context { get; }

    /// <summary>The kernel's init (pid 1 in the initial namespace); null when created with <see cref="CreateSystem"/>.</summary>
    public TaskRecord? Init { get; private set; }

    /// <summary>The dispatcher of the model actors; benchmark drivers run on it too.</summary>
    public string Dispatcher => Context.Settings.Dispatcher;

    /// <summary>An actor system and kernel context, without booting a kernel; <paramref name="hocon"/> is layered over
    /// the profile (e.g. <c>actors.cgroup.enabled = off</c>).</summary>
    public static BenchKernel CreateSystem(string name, string hocon = "")
    {
        Config config = KernelConfig.WithDefaults(ExtraHocon + "\n" + Hocon + "\n" + hocon);
        var settings = KernelSettings.From(config);
        if (settings.CheckInvariants)
        {
            throw new InvalidOperationException("benchmarks must run with actors.kernel.check-invariants = off");
        }
        return new BenchKernel(ActorSystem.Create(name, config), new KernelContext(settings));
    }

    /// <summary>An actor system with a booted kernel; <paramref name="hocon"/> as in <see cref="CreateSystem"/>.</summary>
    public static BenchKernel Boot(string name, string hocon = "")
    {
        var kernel = CreateSystem(name, hocon);
        var booted = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        var notify = kernel.System.ActorOf(Props.Create(() => new CompletionActor(booted)), "booted");
        kernel.System.ActorOf(KernelActor.Props(kernel.Context, notify), "kernel");
        if (!booted.Task.Wait(Timeout) || booted.Task.Result is not KernelProtocol.Booted b)
        {
            throw new InvalidOperationException("the kernel did not boot");
        }
        kernel.Init = b.Init;
        return kernel;
    }

    /// <summary>Makes <paramref name="call"/> as <paramref name="task"/> and returns its result (Ask, with a timeout).</summary>
    public SyscallResult Call(TaskRecord task, Syscall call)
    {
        var corr = Interlocked.Increment(ref _corr);
        var r = task.Actor.Ask<SyscallResult>(new TaskProtocol.Call(corr, call), Timeout).GetAwaiter().GetResult();
        if (r.Corr != corr)
        {
            throw new InvalidOperationException($"reply {r} to call {corr} has another correlation id");
        }
        return r;
    }

    /// <summary>Makes <paramref name="call"/> as <paramref name="task"/>; throws unless it returned 0 (a write, mkdir, rmdir).</summary>
    public void Expect0(TaskRecord task, Syscall call)
    {
        var r = Call(task, call);
        if (r.Errno != Errno.None || r.Dead || r.Value != 0)
        {
            throw new InvalidOperationException($"{call} by {task} returned {r}, expected 0");
        }
    }

    /// <summary>Reads <paramref name="path"/> as <paramref name="task"/>; throws unless the read returned a text.</summary>
    public string Read(TaskRecord task, string path)
    {
        var r = Call(task, new Calls.Read(path));
        if (r.Errno != Errno.None || r.Dead || r.Text is null)
        {
            throw new InvalidOperationException($"read {path} by {task} returned {r}");
        }
        return r.Text;
    }

    /// <summary>Makes <paramref name="call"/> (fork or clone) as <paramref name="parent"/>; throws unless it made a child.</summary>
    public TaskRecord Spawn(TaskRecord parent, Syscall call)
    {
        var r = Call(parent, call);
        if (r.Errno != Errno.None || r.Dead || r.NewTask is null)
        {
            throw new InvalidOperationException($"{call} by {parent} failed: {r}");
        }
        return r.NewTask;
    }

    /// <summary>Waits until the kernel is quiescent and every global invariant holds (retrying for up to
    /// <see cref="Timeout"/>, since actors may still be stopping), and no model actor has failed.</summary>
    public void AssertQuiescentInvariants()
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            AssertNoFailures();
            try
            {
                KernelInvariants.CheckQuiescent(Context.View);
                return;
            }
            catch (InvariantViolationException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>Throws when a model actor has thrown (each one is a model bug).</summary>
    public void AssertNoFailures()
    {
        var failures = Context.Failures;
        if (failures.Count > 0)
        {
            throw new AggregateException("model actors failed", failures);
        }
    }

    /// <summary>Waits for a measured invocation; throws (with the model's failures, if any) instead of hanging.</summary>
    public T Await<T>(Task<T> task)
    {
        if (!task.Wait(Timeout))
        {
            AssertNoFailures();
            throw new TimeoutException($"a benchmark invocation did not finish within {Timeout}");
        }
        return task.Result;
    }

    public void Dispose() => System.Terminate().Wait(Timeout);

    /// <summary>Completes a task with the first message it receives.</summary>
    private sealed class CompletionActor(TaskCompletionSource<object> tcs) : UntypedActor
    {
        protected override void OnReceive(object message) => tcs.TrySetResult(message);
    }
}
