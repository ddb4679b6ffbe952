using Actors.Benchmarks.Infrastructure;
using BenchmarkDotNet.Running;

namespace Actors.Benchmarks;

/// <summary>Entry point: <c>quick ...</c> runs one benchmark body in a plain loop (see <see cref="QuickRun"/>);
/// anything else goes to BenchmarkDotNet's switcher, so <c>--filter</c>, <c>--job</c>, <c>--list</c> work.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "quick")
        {
            return QuickRun.Run(args[1..]);
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
