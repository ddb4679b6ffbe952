using Actors.Scenarios;
using Xunit;

namespace Actors.Conform.Tests;

/// <summary>Where the machine refuses to create namespaces, conform says so and exits 3.</summary>
public sealed class EnvironmentTests(ConformFixture fixture) : IClassFixture<ConformFixture>
{
    /// <summary>The helper as user nobody, without capabilities: clone3(CLONE_NEWPID|...) fails EPERM.</summary>
    internal static string[] Unprivileged(string helper) =>
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--", helper];

    [Fact]
    public void Without_privilege_the_runner_refuses_with_a_clear_message()
    {
        var options = new LinuxRunnerOptions { Command = Unprivileged(LinuxRunnerOptions.FindHelper()) };
        var e = Assert.Throws<ConformEnvironmentException>(() =>
            ConformResult.RunFile(Path.Combine(RepoPaths.Scenarios, "pidns", "basic-fork.scn"), fixture.Runner, options));
        Assert.Contains("cannot build a fresh kernel on this machine", e.Message, StringComparison.Ordinal);
        Assert.Contains("Operation not permitted", e.Message, StringComparison.Ordinal);
        Assert.Contains("root or CAP_SYS_ADMIN", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Conform_exits_3_when_namespaces_cannot_be_created()
    {
        using var dir = new TempDir();
        var wrapper = dir.Write("unprivileged-helper",
            "#!/bin/sh\nexec " + string.Join(' ', Unprivileged(LinuxRunnerOptions.FindHelper())) + " \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var r = Cli.Run(["conform", Path.Combine(RepoPaths.Scenarios, "pidns", "basic-fork.scn")],
            new Dictionary<string, string> { [LinuxRunnerOptions.HelperVariable] = wrapper });
        Assert.Equal(3, r.Status);
        Assert.Contains("actors conform: cannot build a fresh kernel on this machine", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("Operation not permitted", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("passed", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Conform_exits_3_without_the_helper()
    {
        var r = Cli.Run(["conform", Path.Combine(RepoPaths.Scenarios, "pidns", "basic-fork.scn")],
            new Dictionary<string, string> { [LinuxRunnerOptions.HelperVariable] = "/nonexistent/actors-conform-helper" });
        Assert.Equal(3, r.Status);
        Assert.Contains("/nonexistent/actors-conform-helper does not exist", r.Stderr, StringComparison.Ordinal);
    }
}
