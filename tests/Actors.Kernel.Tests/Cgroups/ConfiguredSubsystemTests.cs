using Actors.Kernel.Cgroups;
using Akka.Configuration;
using Xunit;

namespace Actors.Kernel.Tests.Cgroups;

/// <summary>Controllers declared in HOCON (<c>actors.cgroup.subsystems</c> in hocon/reference.conf) and the files of
/// their css: int (kstrtoll in [min, max], or the max word), string, choice, read-only.</summary>
public class ConfiguredSubsystemTests
{
    private static readonly CgroupSettings s_default = CgroupSettings.From(KernelConfig.Default());

    private static ConfiguredSubsystem Ss(string name) => (ConfiguredSubsystem)s_default.Subsystems.Single(s => s.Name == name);

    private static Css V1(string name) => Ss(name).Create(onDefault: false);

    private static Css V2(string name) => Ss(name).Create(onDefault: true);

    [Fact]
    public void Reference_conf_mounts_the_reference_machines_hierarchies()
    {
        Assert.True(s_default.Enabled);
        Assert.Equal(["pids", "cpu", "cpuset", "memory", "freezer"], s_default.V1);
        Assert.Empty(s_default.V2);
        Assert.Equal("", s_default.ReleaseAgent);
        Assert.Same(PidsSubsystem.Instance, s_default.Subsystems[0]);
        Assert.Equal(["pids", "cpu", "cpuset", "freezer", "hugetlb", "memory"], s_default.Subsystems.Select(s => s.Name));
    }

    [Theory]
    [InlineData("cpu", true)]
    [InlineData("cpuset", true)]
    [InlineData("memory", false)]
    [InlineData("freezer", false)]
    [InlineData("hugetlb", false)]
    public void Threaded_comes_from_the_configuration(string name, bool threaded)
    {
        Assert.Equal(threaded, Ss(name).Threaded);
        Assert.False(Ss(name).ChargesTasks);
    }

    [Fact]
    public void Files_exist_on_the_hierarchy_kinds_they_name()
    {
        Assert.Equal(["cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us"], V1("cpu").Files);
        Assert.Equal(["cpu.weight", "cpu.max"], V2("cpu").Files);
        Assert.Equal(["cpuset.cpus", "cpuset.mems", "cpuset.cpu_exclusive"], V1("cpuset").Files);
        Assert.Equal(["cpuset.cpus", "cpuset.mems"], V2("cpuset").Files);
        Assert.Empty(V2("freezer").Files);
        Assert.Empty(V1("hugetlb").Files);
    }

    [Theory]
    [InlineData("cpu", "cpu.shares", "1024\n")]
    [InlineData("cpu", "cpu.cfs_quota_us", "-1\n")]
    [InlineData("memory", "memory.limit_in_bytes", "9223372036854771712\n")]
    [InlineData("cpuset", "cpuset.cpus", "\n")]
    [InlineData("freezer", "freezer.state", "THAWED\n")]
    public void Defaults_read_with_a_newline(string ss, string file, string text)
    {
        Assert.Equal((text, Errno.None), V1(ss).Read(file));
    }

    [Theory]
    [InlineData("2", "2\n")]
    [InlineData("262144", "262144\n")]
    [InlineData(" 100 \n", "100\n")]
    [InlineData("0x400", "1024\n")]
    [InlineData("010", "8\n")]
    [InlineData("+5", "5\n")]
    public void Int_files_accept_kstrtoll_numbers_in_range_and_show_them_in_decimal(string text, string shown)
    {
        var css = V1("cpu");
        Assert.Equal(Errno.None, css.Write("cpu.shares", text));
        Assert.Equal(shown, css.Read("cpu.shares").Text);
    }

    [Theory]
    [InlineData("1", Errno.EINVAL)]
    [InlineData("262145", Errno.EINVAL)]
    [InlineData("-2", Errno.EINVAL)]
    [InlineData("abc", Errno.EINVAL)]
    [InlineData("", Errno.EINVAL)]
    [InlineData("max", Errno.EINVAL)]
    [InlineData("99999999999999999999", Errno.ERANGE)]
    public void Int_files_refuse_and_keep_the_old_value(string text, Errno errno)
    {
        var css = V1("cpu");
        Assert.Equal(errno, css.Write("cpu.shares", text));
        Assert.Equal("1024\n", css.Read("cpu.shares").Text);
    }

    [Fact]
    public void Int_bounds_default_to_the_long_range()
    {
        var css = V1("memory");                              // min = -1, no max
        Assert.Equal(Errno.None, css.Write("memory.limit_in_bytes", "9223372036854775807"));
        Assert.Equal(Errno.ERANGE, css.Write("memory.limit_in_bytes", "9223372036854775808"));
        Assert.Equal(Errno.None, css.Write("memory.limit_in_bytes", "-1"));
        Assert.Equal(Errno.EINVAL, css.Write("memory.limit_in_bytes", "-2"));
        Assert.Equal("-1\n", css.Read("memory.limit_in_bytes").Text);
    }

    [Fact]
    public void The_max_word_is_accepted_stripped_and_shown_as_written()
    {
        var css = V2("memory");
        Assert.Equal("max\n", css.Read("memory.max").Text);
        Assert.Equal(Errno.None, css.Write("memory.max", "1048576"));
        Assert.Equal("1048576\n", css.Read("memory.max").Text);
        Assert.Equal(Errno.None, css.Write("memory.max", "  max\n"));
        Assert.Equal("max\n", css.Read("memory.max").Text);
        Assert.Equal(Errno.EINVAL, css.Write("memory.max", "-1"));
        Assert.Equal(Errno.EINVAL, css.Write("memory.max", "MAX"));
        Assert.Equal("max\n", css.Read("memory.max").Text);
    }

    [Theory]
    [InlineData("FROZEN", Errno.None, "FROZEN\n")]
    [InlineData("FROZEN\n", Errno.None, "FROZEN\n")]
    [InlineData(" THAWED ", Errno.None, "THAWED\n")]
    [InlineData("frozen", Errno.EINVAL, "THAWED\n")]
    [InlineData("FREEZING", Errno.EINVAL, "THAWED\n")]
    [InlineData("", Errno.EINVAL, "THAWED\n")]
    public void Choice_files_accept_only_their_choices(string text, Errno errno, string shown)
    {
        var css = V1("freezer");
        Assert.Equal(errno, css.Write("freezer.state", text));
        Assert.Equal(shown, css.Read("freezer.state").Text);
    }

    [Fact]
    public void String_files_keep_the_stripped_text()
    {
        var css = V2("cpuset");
        Assert.Equal(Errno.None, css.Write("cpuset.cpus", "0-3\n"));
        Assert.Equal("0-3\n", css.Read("cpuset.cpus").Text);
        Assert.Equal(Errno.None, css.Write("cpuset.cpus", ""));
        Assert.Equal("\n", css.Read("cpuset.cpus").Text);
    }

    [Fact]
    public void Read_only_files_refuse_writes_with_EINVAL()
    {
        var css = V2("memory");
        Assert.Equal(Errno.EINVAL, css.Write("memory.current", "5"));
        Assert.Equal("0\n", css.Read("memory.current").Text);
    }

    [Fact]
    public void Unknown_files_are_ENOENT()
    {
        var css = V1("cpu");
        Assert.Equal(Errno.ENOENT, css.Read("cpu.weight").Errno);  // a v2 file
        Assert.Equal(Errno.ENOENT, css.Write("cpu.weight", "5"));
    }

    [Fact]
    public void A_controller_declared_in_hocon_needs_no_code()
    {
        var config = ConfigurationFactory.ParseString("""
            actors.cgroup.subsystems.rdma {
              files = [
                { name = "rdma.max", default = "max", type = int, min = 0, max = 100, max-word = "max", on = v2 }
                { name = "rdma.current", default = "", type = read-only }
              ]
            }
            """).WithFallback(KernelConfig.Default());
        var settings = CgroupSettings.From(config);
        var rdma = settings.Subsystems.Single(s => s.Name == "rdma");
        Assert.False(rdma.Threaded);
        Assert.Equal(12, rdma.Order);
        Assert.Equal(["rdma.current"], rdma.Create(onDefault: false).Files);
        var css = rdma.Create(onDefault: true);
        Assert.Equal(["rdma.max", "rdma.current"], css.Files);
        Assert.Equal(Errno.None, css.Write("rdma.max", "100"));
        Assert.Equal(Errno.EINVAL, css.Write("rdma.max", "101"));
        Assert.Equal("100\n", css.Read("rdma.max").Text);
    }

    [Theory]
    [InlineData("""x { files = [ { name = "y.max" } ] }""", "must start with 'x.'")]
    [InlineData("""x { files = [ { name = "x.max", on = v3 } ] }""", "on must be v1, v2 or both")]
    [InlineData("""x { files = [ { name = "x.max", type = float } ] }""", "type must be int, string, choice or read-only")]
    [InlineData("""pids { files = [] }""", "pids is built in")]
    public void Bad_declarations_are_refused_at_load(string subsystems, string message)
    {
        var config = ConfigurationFactory.ParseString("actors.cgroup.subsystems { " + subsystems + " }").WithFallback(KernelConfig.Default());
        var e = Assert.Throws<ArgumentException>(() => CgroupSettings.From(config));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cgroups_can_be_turned_off()
    {
        var config = ConfigurationFactory.ParseString("actors.cgroup.enabled = off").WithFallback(KernelConfig.Default());
        Assert.Same(CgroupSettings.Off, CgroupSettings.From(config));
    }

    [Fact]
    public void The_core_refuses_an_unknown_or_doubly_bound_v1_controller_and_a_v2_controller_bound_to_v1()
    {
        var subsystems = s_default.Subsystems;
        var outbox = new RecordingCgroupOutbox();
        Assert.Contains("no such controller", Assert.Throws<ArgumentException>(() => new CgroupCore(outbox, subsystems, ["io"], [], "")).Message, StringComparison.Ordinal);
        Assert.Contains("two v1 hierarchies", Assert.Throws<ArgumentException>(() => new CgroupCore(outbox, subsystems, ["pids", "pids"], [], "")).Message, StringComparison.Ordinal);
        Assert.Contains("not available", Assert.Throws<ArgumentException>(() => new CgroupCore(outbox, subsystems, ["pids"], ["pids"], "")).Message, StringComparison.Ordinal);
    }
}
