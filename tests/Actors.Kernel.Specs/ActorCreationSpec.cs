using Actors.Kernel.Cgroups;
using Actors.Kernel.Ipc;
using Actors.Kernel.Pid;
using Actors.Kernel.Tasks;
using Akka.Actor;
using Akka.Event;
using Xunit;
using Xunit.Abstractions;
using static Actors.Kernel.Specs.SyscallHelpers;

namespace Actors.Kernel.Specs;

/// <summary>How the model actors are made rather than what they do: their Props (built by <see cref="ActorFactory"/>,
/// without reflection) still name the actor's type and the model's dispatcher, and a message an actor does not know
/// is unhandled, as it was when they were ReceiveActors.</summary>
public sealed class ActorCreationSpec(ITestOutputHelper output) : ProcessSpec(output)
{
    [Fact]
    public void Every_model_actor_must_have_props_with_its_type_the_model_dispatcher_and_no_reflected_arguments()
    {
        var cells = BootWithEveryKindOfActor();

        Assert.Equal(
            new[]
            {
                typeof(CgroupActor), typeof(CgroupCoreActor), typeof(IpcNamespaceActor), typeof(KernelActor),
                typeof(PidMapActor), typeof(PidNamespaceActor), typeof(TaskActor), typeof(TaskListActor),
            }.Select(t => t.Name),
            cells.Select(c => c.Underlying.Props.Type.Name).Distinct().Order(StringComparer.Ordinal));
        foreach (var cell in cells)
        {
            var props = cell.Underlying.Props;
            Assert.Equal(Ctx.Settings.Dispatcher, props.Dispatcher);
            Assert.Empty(props.Arguments);
        }
        AssertHealthy();
    }

    [Fact]
    public void Every_model_actor_must_leave_a_message_it_does_not_know_unhandled()
    {
        var cells = BootWithEveryKindOfActor();
        Sys.EventStream.Subscribe(TestActor, typeof(UnhandledMessage));

        foreach (var cell in cells)
        {
            cell.Tell("not a message of the model");
            var unhandled = ExpectMsg<UnhandledMessage>();
            Assert.Equal(cell, unhandled.Recipient);
            Assert.Equal("not a message of the model", unhandled.Message);
        }
        AssertHealthy();
    }

    /// <summary>Adds a pid namespace, an IPC namespace and a cgroup to the booted kernel; returns every actor below
    /// the kernel actor, and the kernel actor.</summary>
    private List<ActorRefWithCell> BootWithEveryKindOfActor()
    {
        Fork(Init, Clone(CloneFlags.CLONE_NEWPID | CloneFlags.CLONE_NEWIPC));
        Ok(Call(Init, new Calls.Mkdir("/sys/fs/cgroup/pids/a")));
        var all = new List<ActorRefWithCell>();
        var pending = new Stack<ActorRefWithCell>([(ActorRefWithCell)Ctx.View.Kernel]);
        while (pending.TryPop(out var cell))
        {
            all.Add(cell);
            foreach (var child in cell.Children)
            {
                pending.Push((ActorRefWithCell)child);
            }
        }
        return all;
    }
}
