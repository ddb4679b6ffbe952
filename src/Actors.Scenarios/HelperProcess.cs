using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Actors.Scenarios;

/// <summary>One running <c>actors-conform-helper</c> (native/README.md): lines to its stdin, one reply line each from
/// its stdout, its stderr collected. Disposing ends it: end of input first (it tears its namespaces down and exits),
/// SIGKILL if it does not exit in time (its init then dies by PR_SET_PDEATHSIG and the kernel kills the rest).</summary>
public sealed class HelperProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private Task<string?>? _pending;
    private bool _inputClosed;

    private HelperProcess(Process process) => _process = process;

    /// <summary>The helper's process id.</summary>
    public int Pid => _process.Id;

    /// <summary>What the helper wrote to stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="argv"/> (the helper, possibly behind a wrapper). A program that cannot be started
    /// is a <see cref="ConformEnvironmentException"/>.</summary>
    public static HelperProcess Start(IReadOnlyList<string> argv)
    {
        var info = new ProcessStartInfo(argv[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in argv.Skip(1))
        {
            info.ArgumentList.Add(a);
        }
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new ConformEnvironmentException($"cannot start {argv[0]}");
        }
        catch (Win32Exception e)
        {
            throw new ConformEnvironmentException($"cannot start {argv[0]}: {e.Message}");
        }
        var helper = new HelperProcess(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (helper._stderr)
                {
                    helper._stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        return helper;
    }

    /// <summary>Sends one line. False when the helper no longer reads (it exited).</summary>
    public bool Send(string line)
    {
        try
        {
            _process.StandardInput.Write(line + "\n");
            _process.StandardInput.Flush();
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The next line of output; null at end of output (the helper exited or closed stdout). When none comes
    /// within <paramref name="timeout"/> the helper is killed and a <see cref="TimeoutException"/> thrown.</summary>
    public string? ReadLine(TimeSpan timeout)
    {
        _pending ??= _process.StandardOutput.ReadLineAsync();
        if (!_pending.Wait(timeout))
        {
            Kill();
            throw new TimeoutException($"the helper gave no answer within {timeout.TotalSeconds:0} s");
        }
        var line = _pending.Result;
        _pending = null;
        return line;
    }

    /// <summary>Closes its input (the helper then tears down and exits 0) and waits for the exit; kills it after
    /// <paramref name="timeout"/>. Returns the exit status.</summary>
    public int Finish(TimeSpan timeout)
    {
        CloseInput();
        if (!_process.WaitForExit(timeout))
        {
            Kill();
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>SIGKILL (its init follows by PR_SET_PDEATHSIG).</summary>
    public void Kill()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Finish(TimeSpan.FromSeconds(30));
        }
        _process.WaitForExit();
        _process.Dispose();
    }

    private void CloseInput()
    {
        if (_inputClosed)
        {
            return;
        }
        _inputClosed = true;
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // it exited already
        }
    }
}

/// <summary>The environment refuses to run scenarios on Linux (no privilege to create namespaces, an old kernel, no
/// helper): <c>actors conform</c> exits 3 with the message.</summary>
public sealed class ConformEnvironmentException(string message) : Exception(message);
