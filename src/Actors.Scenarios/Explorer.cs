using Actors.Kernel;
using Actors.Scheduling;

namespace Actors.Scenarios;

/// <summary>How to explore: strategy, budget, seed.</summary>
/// <param name="Strategy">random, pct, dfs or portfolio.</param>
/// <param name="Iterations">The most schedules to run (DFS stops earlier when exhausted).</param>
/// <param name="Seed">Seed of the random choices (random, pct, portfolio and the fair fallback).</param>
/// <param name="MaxSteps">The most controlled steps inside parallel blocks per schedule.</param>
/// <param name="PctDepth">PCT's depth d (number of priority change points + 1).</param>
/// <param name="KeepGoing">Count every violating schedule instead of stopping at the first.</param>
/// <param name="Workers">Schedules run at once, each on its own thread and actor system, when the strategy's iterations
/// are independent (random): the result is the same as with one worker, only sooner. Other strategies (and explorations
/// of fewer than <see cref="Explorer.MinParallelIterations"/> schedules) use one.</param>
public sealed record ExploreOptions(
    string Strategy = "portfolio", int Iterations = 1000, ulong Seed = 1, int MaxSteps = 10000, int PctDepth = 3, bool KeepGoing = false,
    int Workers = 1)
{
    /// <summary>Steps that DFS treats as dependent although they exchange no message: the driver reads from the task
    /// list which tasks live and their exit state when it issues a task's next call, so its steps depend on the task
    /// list's steps. Except <c>Attach</c>: it only adds a new task, which the driver cannot name before it handles
    /// that fork's result, and so after the Attach.</summary>
    public static bool DriverReadsTaskList(StepRecord a, StepRecord b) =>
        a.Actor == "host/driver" && b.Actor == "host/kernel/tasks" && b.Message != "TaskListProtocol.Attach";

    /// <summary>Whether the strategy draws PCT change points, below a schedule length that the explorer measures first.</summary>
    public bool UsesScheduleLength => Strategy is "pct" or "portfolio";

    /// <summary>Builds the strategy (dfs is exhaustive with partial-order reduction, see <see cref="DporStrategy"/>); it is wrapped so that a schedule's step index runs across all its parallel blocks,
    /// and so that after <see cref="MaxSteps"/>/2 unfair steps random choices take over (fair fallback for liveness).</summary>
    /// <param name="scheduleLength">For pct and portfolio: the range of the change points in every schedule (then the
    /// iterations are independent); null learns it from the schedules seen.</param>
    public ISchedulingStrategy CreateStrategy(int? scheduleLength = null) => Strategy switch
    {
        "random" => new RandomStrategy(Seed),
        "pct" => new FairFallback(new PctStrategy(Seed, PctDepth, MaxSteps, scheduleLength), MaxSteps / 2, Seed),
        "dfs" => new DporStrategy(alsoDependent: DriverReadsTaskList),
        "portfolio" => new FairFallback(new PortfolioStrategy(Seed, MaxSteps, scheduleLength), MaxSteps / 2, Seed),
        _ => throw new ArgumentException($"unknown strategy '{Strategy}' (random, pct, dfs, portfolio)"),
    };
}

/// <summary>One schedule that violated something.</summary>
/// <param name="Iteration">Its index among the explored schedules.</param>
/// <param name="Strategy">The strategy's description at that iteration.</param>
/// <param name="What">What was violated: a failed expectation, an invariant, a deadlock, a model exception.</param>
/// <param name="Transcript">The schedule's transcript lines.</param>
/// <param name="Steps">The steps chosen inside parallel blocks (actor label, message).</param>
public sealed record Violation(int Iteration, string Strategy, string What, IReadOnlyList<string> Transcript, IReadOnlyList<TraceStep> Steps);

/// <summary>The outcome of an exploration.</summary>
/// <param name="Schedules">Schedules run.</param>
/// <param name="Violations">The first <see cref="Explorer.KeptViolations"/> violating schedules (all of them are counted
/// in <see cref="ViolationCount"/>).</param>
/// <param name="Exhausted">DFS explored every schedule (up to equivalence).</param>
/// <param name="CutAtStepBound">Schedules cut short by the step bound.</param>
/// <param name="Elapsed">Wall-clock time.</param>
public sealed record ExploreResult(int Schedules, IReadOnlyList<Violation> Violations, bool Exhausted, int CutAtStepBound, TimeSpan Elapsed)
{
    private readonly int? _violationCount;

    /// <summary>How many explored schedules violated something.</summary>
    public int ViolationCount
    {
        get => _violationCount ?? Violations.Count;
        init => _violationCount = value;
    }

    /// <summary>The contract's last stdout line: <c>explored N schedules, V violations[, exhausted], T s</c>.</summary>
    public string Summary =>
        $"explored {Schedules} schedules, {ViolationCount} violations{(Exhausted ? ", exhausted" : "")}" +
        $"{(CutAtStepBound > 0 ? $", {CutAtStepBound} cut at the step bound" : "")}, {Elapsed.TotalSeconds:0.0} s";
}

/// <summary>Explores the interleavings of a scenario's parallel blocks, each schedule from a fresh kernel's state (a new
/// kernel, or by default the checkpoint after the scenario's sequential prefix, restored), checking every expectation,
/// the step invariants after each controlled step, the quiescent invariants, and deadlock.</summary>
/// <remarks>Usable from a user's own xunit suite: <c>new Explorer(runner).Explore(scenario, options)</c> and then
/// <see cref="ExploreResult"/>; see also <c>ExplorationAssert</c>.</remarks>
public sealed class Explorer(ModelRunner runner)
{
    /// <summary>How many violations an exploration keeps in full (with <c>--keep-going</c> the rest are only counted:
    /// an exhaustive search of a racy scenario can violate in millions of schedules).</summary>
    public const int KeptViolations = 100;

    /// <summary>Explorations shorter than this run on one worker: starting another actor system costs more than it saves.</summary>
    public const int MinParallelIterations = 200;

    /// <summary>Explores <paramref name="scenario"/>; calls <paramref name="progress"/> after each schedule (with several
    /// workers, from their threads, one call at a time).</summary>
    public ExploreResult Explore(Scenario scenario, ExploreOptions options, Action<int, int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var kernels = new Kernels(runner);
        int? length = options.UsesScheduleLength ? FifoScheduleLength(kernels, scenario, options.MaxSteps) : null;
        var strategy = new PerSchedule(options.CreateStrategy(length));
        if (options.Workers > 1 && options.Iterations >= MinParallelIterations && strategy.IndependentIterations)
        {
            return ExploreParallel(kernels, scenario, options, length, progress, clock);
        }
        var violations = new List<Violation>();
        int schedules = 0, cut = 0, violationCount = 0;
        var exhausted = false;
        for (var i = 0; i < options.Iterations; i++)
        {
            if (!strategy.PrepareIteration(i))
            {
                exhausted = true;
                break;
            }
            var describe = strategy.Describe();
            var (violation, completed, _) = RunOnce(kernels, scenario, strategy, options.MaxSteps, i, describe, out _);
            schedules++;
            if (!completed)
            {
                cut++;
            }
            if (violation is not null)
            {
                violationCount++;
                if (violations.Count < KeptViolations)
                {
                    violations.Add(violation);
                }
                if (!options.KeepGoing)
                {
                    break;
                }
            }
            progress?.Invoke(schedules, violationCount);
        }
        if (strategy.Inner is DfsStrategy { Exhausted: true } or DporStrategy { Exhausted: true })
        {
            exhausted = true;
        }
        return new ExploreResult(schedules, violations, exhausted, cut, clock.Elapsed) { ViolationCount = violationCount };
    }

    /// <summary>The number of controlled steps in the parallel blocks of the scenario's FIFO schedule (at least 1): PCT's
    /// change points are drawn below it, so that every iteration's choices depend on the seed and the iteration only.</summary>
    /// <remarks>A violating FIFO schedule counts as far as it ran; the exploration finds the violation again if its
    /// strategy chooses that schedule.</remarks>
    private static int FifoScheduleLength(Kernels kernels, Scenario scenario, int maxSteps) =>
        Math.Max(1, RunOnce(kernels, scenario, FifoStrategy.Instance, maxSteps, 0, "fifo", out _).Steps);

    /// <summary>Runs the iterations of an independent strategy on <see cref="ExploreOptions.Workers"/> threads, each with its
    /// own actor system and strategy instance (worker 0 on <paramref name="kernels"/>), handing out iteration numbers in order. Without <c>--keep-going</c> the
    /// first violation found lowers the bound to its iteration, and the workers finish the lower iterations still
    /// running, so the reported violation is the one of lowest iteration and the result is the one-worker result.</summary>
    private ExploreResult ExploreParallel(Kernels kernels, Scenario scenario, ExploreOptions options, int? length, Action<int, int>? progress,
        System.Diagnostics.Stopwatch clock)
    {
        var gate = new object();
        var next = -1;
        var limit = options.Iterations; // exclusive bound on the iterations still worth running; only lowered
        var violations = new List<Violation>(); // sorted by iteration, at most KeptViolations
        var violating = new List<int>();
        var cut = new List<int>();
        var done = 0;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? error = null;
        var runners = new ModelRunner[options.Workers];
        runners[0] = runner;
        try
        {
            for (var w = 1; w < runners.Length; w++)
            {
                runners[w] = runner.CreateSibling();
            }
            var threads = runners.Select((r, w) => new Thread(() => Work(r, w == 0 ? kernels : null), 16 * 1024 * 1024)
            {
                IsBackground = true,
                Name = $"explore-{w}",
            }).ToArray();
            foreach (var t in threads)
            {
                t.Start();
            }
            foreach (var t in threads)
            {
                t.Join();
            }
        }
        finally
        {
            for (var w = 1; w < runners.Length; w++)
            {
                runners[w]?.Dispose();
            }
        }
        error?.Throw();
        var schedules = limit; // every iteration below it ran
        var count = violating.Count(i => i < schedules);
        return new ExploreResult(schedules, [.. violations.Where(v => v.Iteration < schedules)], false, cut.Count(i => i < schedules), clock.Elapsed)
        {
            ViolationCount = count,
        };

        void Work(ModelRunner worker, Kernels? given)
        {
            var strategy = new PerSchedule(options.CreateStrategy(length));
            using var own = given is null ? new Kernels(worker) : null;
            var kernels = given ?? own!;
            try
            {
                while (true)
                {
                    var i = Interlocked.Increment(ref next);
                    if (i >= Volatile.Read(ref limit))
                    {
                        return;
                    }
                    strategy.PrepareIteration(i);
                    var (violation, completed, _) = RunOnce(kernels, scenario, strategy, options.MaxSteps, i, strategy.Describe(), out _);
                    lock (gate)
                    {
                        if (!completed)
                        {
                            cut.Add(i);
                        }
                        if (violation is not null)
                        {
                            violating.Add(i);
                            var at = violations.FindIndex(v => v.Iteration > i);
                            violations.Insert(at < 0 ? violations.Count : at, violation);
                            if (violations.Count > KeptViolations)
                            {
                                violations.RemoveAt(violations.Count - 1);
                            }
                            if (!options.KeepGoing && i + 1 < limit)
                            {
                                Volatile.Write(ref limit, i + 1);
                            }
                        }
                        done++;
                        progress?.Invoke(done, violating.Count);
                    }
                }
            }
            catch (Exception e)
            {
                lock (gate)
                {
                    error ??= System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
                    Volatile.Write(ref limit, 0);
                }
            }
        }
    }

    /// <summary>Re-executes one recorded schedule exactly (by actor labels and messages); throws
    /// <see cref="ReplayDivergenceException"/> when the model no longer offers a recorded step.</summary>
    public (Violation? Violation, IReadOnlyList<string> Transcript) Replay(Scenario scenario, IReadOnlyList<TraceStep> steps, int maxSteps)
    {
        var strategy = new PerSchedule(new ReplayStrategy([.. steps.Select(s => (s.Actor, s.Message))]));
        strategy.PrepareIteration(0);
        using var kernels = new Kernels(runner, checkpoints: false);
        var (violation, _, _) = RunOnce(kernels, scenario, strategy, maxSteps, 0, "replay", out var transcript);
        return (violation, transcript);
    }

    /// <summary>Runs one schedule on a kernel from <paramref name="kernels"/>: its violation (or null), whether it ran to
    /// its end (not cut at the step bound), and how many controlled steps its parallel blocks took.</summary>
    private static (Violation? Violation, bool Completed, int Steps) RunOnce(Kernels kernels, Scenario scenario, ISchedulingStrategy strategy, int maxSteps, int iteration,
        string describe, out IReadOnlyList<string> transcript)
    {
        var execution = kernels.Start(scenario);
        try
        {
            return Evaluate(kernels, execution, strategy, maxSteps, iteration, describe, out transcript);
        }
        finally
        {
            kernels.Done(execution);
        }
    }

    private static (Violation? Violation, bool Completed, int Steps) Evaluate(Kernels kernels, ScenarioExecution execution, ISchedulingStrategy strategy, int maxSteps,
        int iteration, string describe, out IReadOnlyList<string> transcript)
    {
        string? what = null;
        var completed = true;
        try
        {
            kernels.Prepare(execution);
            completed = execution.RunExplored(strategy, maxSteps);
        }
        catch (Exception e) when (IsFinding(e))
        {
            what = e is InvariantViolationException ? $"invariant violated: {e.Message}" : e.Message;
        }
        transcript = [.. execution.Outcomes.Select(o => o.Line)];
        var failed = execution.Outcomes.FirstOrDefault(o => o.Failed);
        what ??= failed is null ? null : $"expectation failed: {failed.Line}";
        if (what is null)
        {
            return (null, completed, execution.BlockSchedule.Count);
        }
        var steps = execution.BlockSchedule.Select(s => new TraceStep(s.Actor, s.Message)).ToArray();
        return (new Violation(iteration, describe, what, transcript, steps), completed, steps.Length);
    }

    /// <summary>Whether <paramref name="e"/> is something a schedule found (a violation), not a bug of the explorer.</summary>
    private static bool IsFinding(Exception e) => e is InvariantViolationException or ModelFailureException or DeadlockException
        or ScenarioException or NondeterminismException or EscapedWorkException;

    /// <summary>Where one thread's schedules get their kernel: a fresh one per schedule, or, with checkpoints
    /// (<c>actors.explorer.checkpoint</c>), the kernel of the previous schedule brought back to its checkpoint after
    /// the scenario's sequential prefix (<see cref="ScenarioExecution.RunPrefixAndCheckpoint"/>). A schedule run from
    /// the checkpoint is the schedule a fresh kernel would run: the same steps, checks and outcomes.</summary>
    private sealed class Kernels(ModelRunner runner, bool checkpoints = true) : IDisposable
    {
        // After this many restores refused in a row after schedules that ran to their end (an actor of the prefix that
        // the schedules stop cannot be brought back: it was watched, or its ref is held where the checkpoint cannot
        // rewrite it), this thread stops checkpointing: a checkpoint costs more than the prefix it saves. A schedule cut
        // short (a violation thrown, the step bound) only costs its checkpoint.
        private const int MaxRefusals = 3;

        private readonly bool _checkpoints = checkpoints && runner.Checkpoints;
        private ScenarioExecution? _kept;
        private int _refusals;

        /// <summary>The execution for the next schedule: the kept one restored, or a fresh kernel.</summary>
        public ScenarioExecution Start(Scenario scenario)
        {
            if (_kept is { } kept)
            {
                var ended = kept.Quiescent;
                if (ReferenceEquals(kept.Scenario, scenario) && kept.TryRestore())
                {
                    _refusals = 0;
                    return kept;
                }
                _refusals += ended ? 1 : 0;
                _kept = null;
                kept.Dispose();
            }
            return new ScenarioExecution(runner.Host, scenario, runner.Settings, runner.StepChecks);
        }

        /// <summary>On a fresh kernel, runs the prefix and checkpoints it (when checkpoints are on), keeping the execution
        /// for the next schedules.</summary>
        public void Prepare(ScenarioExecution execution)
        {
            if (ReferenceEquals(execution, _kept) || !_checkpoints || _refusals >= MaxRefusals)
            {
                return;
            }
            execution.RunPrefixAndCheckpoint();
            if (execution.HasCheckpoint)
            {
                _kept = execution;
            }
        }

        /// <summary>After a schedule: disposes of an execution that is not kept.</summary>
        public void Done(ScenarioExecution execution)
        {
            if (!ReferenceEquals(execution, _kept))
            {
                execution.Dispose();
            }
        }

        public void Dispose()
        {
            _kept?.Dispose();
            _kept = null;
        }
    }

    /// <summary>Gives the inner strategy one step index across all the parallel blocks of a schedule.</summary>
    private sealed class PerSchedule(ISchedulingStrategy inner) : ISchedulingStrategy, IStepObserver, IIndependentIterations
    {
        private int _step;

        public ISchedulingStrategy Inner { get; } = inner;

        public bool IndependentIterations => Inner is IIndependentIterations { IndependentIterations: true };

        public bool PrepareIteration(int iteration)
        {
            _step = 0;
            return Inner.PrepareIteration(iteration);
        }

        public int Choose(IReadOnlyList<SchedulableItem> enabled, int stepIndex) => Inner.Choose(enabled, _step++);

        public string Describe() => Inner.Describe();

        public void OnStep(StepRecord step) => (Inner as IStepObserver)?.OnStep(step);

        public bool WantsFootprints => Inner is IStepObserver { WantsFootprints: true };
    }
}
