using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using Akka.Actor;

namespace Actors.Scenarios.Tests;

/// <summary>Renders everything a tree of actors holds: each actor (in path order) and every object its instance
/// reaches, field by field, collections by their elements in enumeration order, actor refs by path. Two kernels with
/// the same rendering hold the same state. Written independently of ObjectGraphSnapshot (which it checks): it walks
/// what the snapshot leaves out too (Akka's own objects are named, not walked; exceptions by type and message).</summary>
internal static class DeepState
{
    private static readonly Func<ActorCell, ActorBase?> InstanceOf = typeof(ActorCell)
        .GetProperty("Actor", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!
        .GetGetMethod(nonPublic: true)!
        .CreateDelegate<Func<ActorCell, ActorBase?>>();

    public static string Of(IActorRef root)
    {
        var text = new StringBuilder();
        var ids = new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        var actors = new List<(string Path, ActorCell Cell)>();
        Collect(root, actors);
        foreach (var (path, cell) in actors.OrderBy(a => a.Path, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"actor {path}: ");
            Render(InstanceOf(cell), text, ids, 0);
            text.Append('\n');
        }
        return text.ToString();
    }

    private static void Collect(IActorRef actor, List<(string, ActorCell)> into)
    {
        if ((actor as ActorRefWithCell)?.Underlying is not ActorCell cell)
        {
            return;
        }
        into.Add((actor.Path.ToStringWithoutAddress(), cell));
        foreach (var child in cell.GetChildren())
        {
            Collect(child, into);
        }
    }

    private static void Render(object? o, StringBuilder text, Dictionary<object, int> ids, int depth)
    {
        if (depth > 200)
        {
            throw new InvalidOperationException("object graph too deep to render");
        }
        switch (o)
        {
            case null:
                text.Append("null");
                return;
            case string s:
                text.Append('"').Append(s).Append('"');
                return;
            case IActorRef r:
                text.Append("ref:").Append(r.Path.ToStringWithoutAddress());
                return;
            case Delegate d:
                text.Append("delegate:").Append(d.Method.Name).Append(" on ");
                Render(d.Target, text, ids, depth + 1);
                return;
            case Exception e:
                // A failure the kernel recorded: its type and message. Its stack trace is not state of the model (it
                // holds raw code addresses, which differ between two runs of the same code as the JIT recompiles it).
                text.Append("exception:").Append(e.GetType().Name).Append(": ").Append(e.Message);
                return;
            case MemberInfo m:
                text.Append("member:").Append(m.Name);
                return;
            case IFormattable f when o.GetType().IsPrimitive || o.GetType().IsEnum || o is decimal:
                text.Append(f.ToString(null, CultureInfo.InvariantCulture));
                return;
            case bool b:
                text.Append(b ? "true" : "false");
                return;
            case char c:
                text.Append('\'').Append(c).Append('\'');
                return;
        }
        var type = o.GetType();
        if (type.Assembly.GetName().Name!.StartsWith("Akka", StringComparison.Ordinal) || (type.Namespace ?? "").StartsWith("System.Threading", StringComparison.Ordinal))
        {
            text.Append("opaque:").Append(type.Name);
            return;
        }
        if (!type.IsValueType)
        {
            if (ids.TryGetValue(o, out var seen))
            {
                text.Append('@').Append(seen);
                return;
            }
            ids[o] = ids.Count;
            text.Append('#').Append(ids[o]).Append(' ');
        }
        text.Append(type.Name);
        if (o is IEnumerable items && (type.IsArray || (type.Namespace ?? "").StartsWith("System.Collections", StringComparison.Ordinal)))
        {
            text.Append('[');
            foreach (var item in items)
            {
                Render(item, text, ids, depth + 1);
                text.Append(", ");
            }
            text.Append(']');
            return;
        }
        text.Append('{');
        for (var t = type; t is not null && t != typeof(object) && !t.Assembly.GetName().Name!.StartsWith("Akka", StringComparison.Ordinal); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                text.Append(field.Name).Append('=');
                Render(field.GetValue(o), text, ids, depth + 1);
                text.Append("; ");
            }
        }
        text.Append('}');
    }
}
