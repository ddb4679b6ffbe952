using System.Globalization;
using Actors.Kernel;

namespace Actors.Scenarios;

/// <summary>How <see cref="LinuxRunner"/> finds and runs the helper.</summary>
public sealed record LinuxRunnerOptions
{
    /// <summary>The helper's file name, next to the <c>actors</c> binary (copied there by the build).</summary>
    public const string HelperName = "actors-conform-helper";

    /// <summary>Environment variable naming another helper binary.</summary>
    public const string HelperVariable = "ACTORS_CONFORM_HELPER";

    /// <summary>The helper's argv; null: <see cref="FindHelper"/>. Tests put a wrapper in front (setpriv, ...).</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>The longest wait for one reply line (a step takes at most about 10 s in the helper).</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary><c>$ACTORS_CONFORM_HELPER</c>, else <c>actors-conform-helper</c> next to this binary.</summary>
    public static string FindHelper()
    {
        var path = Environment.GetEnvironmentVariable(HelperVariable);
        if (string.IsNullOrEmpty(path))
        {
            path = Path.Combine(AppContext.BaseDirectory, HelperName);
        }
        if (!File.Exists(path))
        {
            throw new ConformEnvironmentException(
                $"the conform helper {path} does not exist (dotnet build runs make -C native and copies it there; it needs gcc and make)");
        }
        return path;
    }
}

/// <summary>The Linux side of one scenario file.</summary>
/// <param name="File">The file.</param>
/// <param name="Outcomes">Transcript lines in written order; model-only steps have the result <c>model-only</c>.</param>
/// <param name="Error">A scenario error met while running (<c>FILE:LINE: ...</c>), as the model reports it.</param>
/// <param name="HelperError">The helper failed (protocol error, crash, no answer): the rest did not run.</param>
/// <param name="Stderr">What the helper wrote to stderr (warnings).</param>
public sealed record LinuxRun(string File, IReadOnlyList<StepOutcome> Outcomes, string? Error, string? HelperError, string Stderr);

/// <summary>Runs a scenario on this machine's kernel through the native helper (one helper, one fresh kernel per file):
/// the <c>config</c> values that are not model-only, <c>start</c>, then every step in written order, parallel blocks
/// too, each to completion (as <c>actors run</c>), building the same transcript lines as the model side.</summary>
public static class LinuxRunner
{
    /// <summary>The Linux result of a step only the model can carry out.</summary>
    public const string ModelOnly = "model-only";

    /// <summary>Runs <paramref name="scenario"/>. <paramref name="settings"/> are the model's kernel settings with the
    /// scenario's config applied (<see cref="ScenarioExecution.EffectiveSettings"/>): the helper gets the same pid_max
    /// and msgmni. <paramref name="beforeStep"/> runs before each step is sent and, with null, before the helper is
    /// told to quit (tests look at the running kernel or interrupt the helper there).
    /// Throws <see cref="ConformEnvironmentException"/> when the environment refuses.</summary>
    public static LinuxRun Run(Scenario scenario, KernelSettings settings, ConformPlan plan, LinuxRunnerOptions options,
        Action<HelperProcess, Step?>? beforeStep = null)
    {
        var argv = options.Command ?? [LinuxRunnerOptions.FindHelper()];
        using var helper = HelperProcess.Start(argv);
        var session = new Session(scenario, helper, options);
        try
        {
            session.Start(settings);
            foreach (var step in scenario.Steps)
            {
                var reason = plan.ModelOnlyReason(step);
                if (reason is not null)
                {
                    session.Outcomes.Add(new StepOutcome(step, ModelOnly, null));
                    continue;
                }
                beforeStep?.Invoke(helper, step);
                session.RunStep(step);
            }
            beforeStep?.Invoke(helper, null);
            session.Quit();
            return new LinuxRun(scenario.File, session.Outcomes, null, null, helper.Stderr);
        }
        catch (ScenarioException e)
        {
            return new LinuxRun(scenario.File, session.Outcomes, e.Message, null, helper.Stderr);
        }
        catch (HelperFailure e)
        {
            return new LinuxRun(scenario.File, session.Outcomes, null, e.Message, helper.Stderr);
        }
    }

    /// <summary>Reduces a Linux <c>/proc/PID/status</c> text (quoted) to the model's lines: Tgid, Pid, PPid, NStgid and
    /// NSpid, in Linux's order (docs/deviations.md).</summary>
    public static string ProjectStatus(string quoted)
    {
        var text = StepOutcome.Unquote(quoted);
        if (text is null)
        {
            return quoted;
        }
        var kept = text.Split('\n').Where(l => l.IndexOf(':', StringComparison.Ordinal) is var c && c > 0 && ConformPlan.StatusFields.Contains(l[..c]));
        return StepOutcome.Quote(string.Join('\n', kept));
    }

    /// <summary>The helper failed under a step; the message says how.</summary>
    private sealed class HelperFailure(string message) : Exception(message);

    private sealed class Session(Scenario scenario, HelperProcess helper, LinuxRunnerOptions options)
    {
        private readonly HashSet<string> _bound = new(StringComparer.Ordinal) { "init" };

        public List<StepOutcome> Outcomes { get; } = [];

        /// <summary>Sends the helper the settings it knows (pid_max, msgmni) and starts it. Nothing else of the config
        /// is sent: the helper refuses unknown keys, and the model-only keys (next_id_scope, break, cgroup_v1,
        /// cgroup_v2, release_agent) only decide which steps are model-only (<see cref="ConformPlan"/>).</summary>
        public void Start(KernelSettings settings)
        {
            Send($"config pid_max={settings.PidMax.ToString(CultureInfo.InvariantCulture)}");
            Send($"config msgmni={settings.IpcLimits.Msgmni.ToString(CultureInfo.InvariantCulture)}");
            Send("start");
            var reply = Read();
            if (reply == "ready")
            {
                return;
            }
            var status = helper.Finish(options.ReplyTimeout);
            var what = reply is not null && reply.StartsWith("error ", StringComparison.Ordinal) ? reply[6..] : $"no answer to start (exit status {status})";
            if (status == 3 || reply is null)
            {
                throw new ConformEnvironmentException(
                    $"cannot build a fresh kernel on this machine: {what}{Stderr()} " +
                    "(actors conform creates pid, IPC and mount namespaces, and scratch cgroups under /sys/fs/cgroup/pids and " +
                    "/sys/fs/cgroup/unified: it needs root or CAP_SYS_ADMIN, those two mounts, and Linux >= 6.14)");
            }
            throw new HelperFailure($"the helper refused to start: {what}");
        }

        public void RunStep(Step step)
        {
            Bound(step, step.Task);
            foreach (var a in step.Args)
            {
                switch (a)
                {
                    case Arg.TaskRef r:
                        Bound(step, r.Name);
                        break;
                    case Arg.Word w:
                        foreach (var n in StepBinder.NamesIn(w.Value))
                        {
                            Bound(step, n);
                        }
                        break;
                }
            }
            Send("step " + step.Text);
            var result = Read() ?? throw Ended(step);
            if (result.StartsWith("error ", StringComparison.Ordinal))
            {
                throw Failed(step, result[6..]);
            }
            if (step.Call == "read" && step.Args.Count == 1 && ConformPlan.IsStatusPath(step))
            {
                result = ProjectStatus(result);
            }
            if (step.Bind is not null && long.TryParse(result, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                _bound.Add(step.Bind);
            }
            if (step.Expect is Expectation.PidOf p)
            {
                Bound(step, p.Name);
            }
            Outcomes.Add(new StepOutcome(step, result, result == ModelOnly ? null : StepOutcome.Check(step, result, name => PidOf(step, name))));
        }

        public void Quit()
        {
            Send("quit");
            var status = helper.Finish(options.ReplyTimeout);
            if (status != 0)
            {
                throw new HelperFailure($"the helper exited with status {status} after the last step{Stderr()}");
            }
        }

        /// <summary>The model's rule: a name whose fork failed is unbound, and using it is a scenario error.</summary>
        private void Bound(Step step, string name)
        {
            if (!_bound.Contains(name))
            {
                throw new ScenarioException(scenario.File, step.Line, $"task '{name}' is not bound (the call that should have created it failed)");
            }
        }

        private long PidOf(Step step, string name)
        {
            Send($"pidof {step.Task} {name}");
            var reply = Read() ?? throw Ended(step);
            return long.TryParse(reply, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pid)
                ? pid
                : throw Failed(step, reply.StartsWith("error ", StringComparison.Ordinal) ? reply[6..] : $"pidof answered '{reply}'");
        }

        private void Send(string line)
        {
            // A helper that stopped reading has exited; the next Read reports how.
            helper.Send(line);
        }

        private string? Read()
        {
            try
            {
                return helper.ReadLine(options.ReplyTimeout);
            }
            catch (TimeoutException e)
            {
                throw new HelperFailure(e.Message + Stderr());
            }
        }

        private Exception Ended(Step step)
        {
            var status = helper.Finish(options.ReplyTimeout);
            return status == 3
                ? new ConformEnvironmentException($"{scenario.File}:{step.Line}: the environment failed under the helper{Stderr()}")
                : new HelperFailure($"the helper ended at line {step.Line} ({Status(status)}){Stderr()}");
        }

        private Exception Failed(Step step, string message)
        {
            var status = helper.Finish(options.ReplyTimeout);
            return status == 3
                ? new ConformEnvironmentException($"{scenario.File}:{step.Line}: the environment failed under the helper: {message}")
                : new HelperFailure($"helper error at line {step.Line}: {message}");
        }

        private string Stderr()
        {
            var s = helper.Stderr.Trim();
            return s.Length == 0 ? "" : $" [helper stderr: {s.ReplaceLineEndings("; ")}]";
        }

        private static string Status(int status) => status > 128 ? $"killed by signal {status - 128}" : $"exit status {status}";
    }
}
