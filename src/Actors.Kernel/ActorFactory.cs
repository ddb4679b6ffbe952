using Akka.Actor;

namespace Actors.Kernel;

/// <summary>Props that create an actor by calling a plain function, without reflection or expression compilation.</summary>
/// <remarks>
/// <c>Props.Create&lt;T&gt;(args)</c> creates each actor with <c>Activator.CreateInstance</c> (a constructor looked up
/// and invoked by reflection), and <c>Props.Create(() =&gt; new T(...))</c> also takes the expression apart on every
/// call; both dominated creating a model kernel in the explorer (perf/README.md). Here the constructor's arguments
/// are kept in one value (a tuple) inside the producer, and <c>create</c> should be a <c>static</c> lambda, whose
/// delegate the compiler caches: per actor, one producer object and no argument array (the old producer and its
/// boxed argument array were bigger; a task actor's Props stay alive as long as the task).
/// <para><see cref="Props.Type"/> is still the actor's type (mailbox requirements are looked up on it);
/// <see cref="Props.Arguments"/> is empty.</para>
/// </remarks>
public static class ActorFactory
{
    /// <summary>Props that create a <typeparamref name="TActor"/> as <c>create(args)</c>.</summary>
    public static Props Props<TActor, TArgs>(TArgs args, Func<TArgs, TActor> create) where TActor : ActorBase =>
        Akka.Actor.Props.CreateBy(new Producer<TActor, TArgs>(args, create));

    private sealed class Producer<TActor, TArgs>(TArgs args, Func<TArgs, TActor> create) : IIndirectActorProducer
        where TActor : ActorBase
    {
        public Type ActorType => typeof(TActor);

        public ActorBase Produce() => create(args);

        public void Release(ActorBase actor)
        {
        }
    }
}
