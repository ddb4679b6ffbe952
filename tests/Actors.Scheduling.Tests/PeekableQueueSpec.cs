using Actors.Kernel.Mailboxes;
using Akka.Actor;

namespace Actors.Scheduling.Tests;

/// <summary>The controller reads a parked mailbox's head from the queue itself when the queue has a public
/// <c>TryPeek(out Envelope)</c>, as the model's <see cref="MpscMessageQueue"/> does, instead of from a shadow queue fed
/// by Dispatch: a message put into the queue without Dispatch is seen, and steps are counted from the queue's Count.</summary>
public sealed class PeekableQueueSpec
{
    private const string MpscHocon = "actors.dispatchers.controlled.mailbox-type = \"Actors.Kernel.Mailboxes.MpscMailbox, Actors.Kernel\"";

    [Fact]
    public void Controller_must_name_the_head_of_an_mpsc_queue_from_the_queue_itself()
    {
        using var sys = new ControlledSystem("peek", MpscHocon);
        var log = new List<string>();
        var a = sys.Host.Spawn(Props.Create<RecorderActor>(log), "a");
        var queue = Assert.IsType<MpscMessageQueue>(((ActorCell)((ActorRefWithCell)a).Underlying).Mailbox!.MessageQueue);

        a.Tell("first");
        a.Tell(2);
        Assert.Equal("String", Assert.Single(sys.Controller.Pending).Message);
        Assert.Equal(2, queue.Count);
        var steps = new List<string>();
        sys.Controller.Run(FifoStrategy.Instance, afterStep: s =>
        {
            steps.Add(s.Message);
            return true;
        });
        Assert.Equal(["String", "Int32"], steps);
        Assert.Equal(["a:first", "a:2"], log);
        Assert.Equal(0, queue.Count);

        // A message that bypasses Dispatch (as an unstash would) is invisible to a shadow queue, not to a peek: the
        // head is the Double, and the String sent after it comes second.
        queue.Enqueue(a, new Envelope(2.5, ActorRefs.NoSender));
        a.Tell("after");
        Assert.Equal("Double", Assert.Single(sys.Controller.Pending).Message);
        steps.Clear();
        sys.Controller.Run(FifoStrategy.Instance, afterStep: s =>
        {
            steps.Add(s.Message);
            return true;
        });
        Assert.Equal(["Double", "String"], steps);
        Assert.Equal(["a:first", "a:2", "a:2.5", "a:after"], log);
    }

    [Fact]
    public void Model_dispatchers_of_the_reference_config_name_the_mpsc_mailbox()
    {
        var config = Actors.Kernel.KernelConfig.Default();
        Assert.Equal("Actors.Kernel.Mailboxes.MpscMailbox, Actors.Kernel", config.GetString("actors.dispatchers.model.mailbox-type"));
        Assert.Equal("Actors.Kernel.Mailboxes.MpscMailbox, Actors.Kernel", config.GetString("actors.dispatchers.controlled.mailbox-type"));
    }
}
