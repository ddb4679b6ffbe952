using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;

namespace Actors.Scheduling;

/// <summary>A copy of every object reachable from some roots, which can be written back into those same objects: a
/// checkpoint of a single-threaded heap graph, restored in place.</summary>
/// <remarks>
/// <para><see cref="Take"/> walks the graph from the roots through every instance field (and array element) and keeps,
/// for each object found, a shallow copy of its fields (for an array, of its elements). <see cref="Restore"/> writes
/// each copy back into its object, so every object of the graph holds again what it held when the snapshot was taken,
/// and objects made since are no longer referenced from it. Objects keep their identity: whoever holds a reference
/// into the graph (an actor cell holding its actor, a message holding a state object) sees the old state again.</para>
/// <para>Not walked, shared as they are: strings, boxed primitives and enums, reflection objects, delegates, types of
/// the Akka assemblies (actor refs, props, cells: Akka's own state is not the snapshot's business), locks and anything
/// else in <c>System.Threading</c>, and the fields that Akka's own base classes declare. Immutable collections are
/// walked: what they hold may be mutable (a pid's numbers hold namespace handles, whose reference counts change).
/// The rest of an object's fields, private and readonly ones included, are copied by a method emitted once per type.
/// The caller makes sure nothing runs on the graph during <see cref="Take"/> and <see cref="Restore"/>.</para>
/// </remarks>
public sealed class ObjectGraphSnapshot
{
    private static readonly ConcurrentDictionary<Type, TypePlan> Plans = new();

    private readonly (object Live, object Copy, Action<object, object> CopyFields)[] _objects;
    private readonly (Array Live, Array Copy)[] _arrays;

    private ObjectGraphSnapshot((object, object, Action<object, object>)[] objects, (Array, Array)[] arrays)
    {
        _objects = objects;
        _arrays = arrays;
    }

    /// <summary>Objects (arrays included) the snapshot restores.</summary>
    public int ObjectCount => _objects.Length + _arrays.Length;

    /// <summary>Copies the graph reachable from <paramref name="roots"/>.</summary>
    public static ObjectGraphSnapshot Take(IEnumerable<object> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var objects = new List<(object, object, Action<object, object>)>();
        var arrays = new List<(Array, Array)>();
        var work = new Stack<object>();
        foreach (var root in roots)
        {
            Push(root);
        }
        while (work.Count > 0)
        {
            var o = work.Pop();
            if (o is Array array)
            {
                arrays.Add((array, (Array)array.Clone()));
                var element = array.GetType().GetElementType()!;
                if (element.IsPrimitive || element.IsEnum)
                {
                    continue;
                }
                foreach (var item in array)
                {
                    if (element.IsValueType)
                    {
                        PushFieldsOf(item);
                    }
                    else
                    {
                        Push(item);
                    }
                }
                continue;
            }
            var plan = PlanOf(o.GetType());
            var copy = RuntimeHelpers.GetUninitializedObject(o.GetType());
            plan.CopyFields(o, copy);
            objects.Add((o, copy, plan.CopyFields));
            PushFieldsOf(o);
        }
        return new ObjectGraphSnapshot([.. objects], [.. arrays]);

        void Push(object? o)
        {
            if (o is not null && !IsShared(o.GetType()) && seen.Add(o))
            {
                work.Push(o);
            }
        }

        // The references held in the fields of o (an object, or a boxed struct), structs walked into. The plan is the
        // runtime type's: a boxed Nullable<T> is a boxed T (or null), whose fields are not Nullable<T>'s.
        void PushFieldsOf(object? o)
        {
            if (o is null)
            {
                return;
            }
            foreach (var f in PlanOf(o.GetType()).Fields)
            {
                var ft = f.FieldType;
                if (ft.IsPrimitive || ft.IsEnum || ft.IsPointer)
                {
                    continue;
                }
                var value = f.GetValue(o);
                if (ft.IsValueType && !IsShared(ft))
                {
                    PushFieldsOf(value);
                }
                else
                {
                    Push(value);
                }
            }
        }
    }

    /// <summary>Writes every copied object's fields and every array's elements back.</summary>
    public void Restore()
    {
        foreach (var (live, copy, copyFields) in _objects)
        {
            copyFields(copy, live);
        }
        foreach (var (live, copy) in _arrays)
        {
            Array.Copy(copy, live, copy.Length);
        }
    }

    /// <summary>The places in the snapshot's copies (fields, array elements, fields of structs inside either) that hold
    /// a value <paramref name="find"/> knows, by what it answers for the value (negative: not wanted). A
    /// <see cref="Slot"/> is written with <see cref="Write"/>; the next <see cref="Restore"/> then writes the new value
    /// into the live object. Where a value cannot be rewritten, its answer is reported through
    /// <paramref name="unsupported"/> instead: in an array of more than one dimension, or in the key of a
    /// <c>Dictionary</c>, <c>HashSet</c>, <c>SortedDictionary</c> or <c>SortedSet</c> (a new value would hash or
    /// compare differently, and the collection would not find it). Keys of other hashed or sorted collections (the
    /// immutable ones, a record holding the value used as a key) are not recognized.</summary>
    public List<(int Key, Slot Slot)> FindSlots(Func<object, int> find, Action<int> unsupported)
    {
        ArgumentNullException.ThrowIfNull(find);
        ArgumentNullException.ThrowIfNull(unsupported);
        var found = new List<(int, Slot)>();
        var path = new List<FieldInfo>();
        foreach (var (_, copy, _) in _objects)
        {
            ScanFields(copy, copy, -1);
        }
        foreach (var (_, copy) in _arrays)
        {
            var element = copy.GetType().GetElementType()!;
            if (element.IsPrimitive || element.IsEnum || element.IsPointer || (element.IsValueType && IsShared(element)))
            {
                continue;
            }
            if (copy.Rank != 1)
            {
                foreach (var item in copy)
                {
                    if (item is not null && !element.IsValueType && find(item) is var key && key >= 0)
                    {
                        unsupported(key);
                    }
                }
                continue;
            }
            for (var i = 0; i < copy.Length; i++)
            {
                var item = copy.GetValue(i);
                if (item is null)
                {
                    continue;
                }
                if (element.IsValueType)
                {
                    ScanFields(copy, item, i);
                }
                else if (find(item) is var key && key >= 0)
                {
                    found.Add((key, new Slot(copy, i, [])));
                }
            }
        }
        return found;

        // The fields of o (an object, or a boxed struct reached through path from container).
        void ScanFields(object container, object o, int index)
        {
            foreach (var f in PlanOf(o.GetType()).Fields)
            {
                var ft = f.FieldType;
                if (ft.IsPrimitive || ft.IsEnum || ft.IsPointer || ft == typeof(string) || (ft.IsValueType && IsShared(ft)))
                {
                    continue;
                }
                var value = f.GetValue(o);
                if (value is null)
                {
                    continue;
                }
                path.Add(f);
                if (ft.IsValueType)
                {
                    ScanFields(container, value, index);
                }
                else if (find(value) is var key && key >= 0)
                {
                    if (IsCollectionKey(container, path))
                    {
                        unsupported(key);
                    }
                    else
                    {
                        found.Add((key, new Slot(container, index, [.. path])));
                    }
                }
                path.RemoveAt(path.Count - 1);
            }
        }
    }

    /// <summary>Whether the place reached through <paramref name="path"/> from <paramref name="container"/> (an array of
    /// entries, or an object) is the key of a hashed or sorted collection of System.Collections.Generic.</summary>
    private static bool IsCollectionKey(object container, List<FieldInfo> path)
    {
        var t = container is Array array ? array.GetType().GetElementType()! : container.GetType();
        var name = t.IsGenericType ? t.GetGenericTypeDefinition().FullName : null;
        return name switch
        {
            "System.Collections.Generic.Dictionary`2+Entry" => path[0].Name == "key",
            "System.Collections.Generic.HashSet`1+Entry" => path[0].Name == "Value",
            // SortedSet<T> and SortedDictionary<K, V> (a TreeSet of KeyValuePair<K, V>, compared by key).
            "System.Collections.Generic.SortedSet`1+Node" => path[0].Name is "Item" or "<Item>k__BackingField" && (path.Count == 1 || path[1].Name == "key"),
            _ => false,
        };
    }

    /// <summary>Writes <paramref name="value"/> into a slot of the copies (found by <see cref="FindSlots"/>).</summary>
    public static void Write(Slot slot, object? value)
    {
        if (slot.Container is Array array)
        {
            if (slot.Path.Length == 0)
            {
                array.SetValue(value, slot.Index);
                return;
            }
            var boxed = array.GetValue(slot.Index)!;
            WritePath(boxed, slot.Path, 0, value);
            array.SetValue(boxed, slot.Index);
            return;
        }
        WritePath(slot.Container, slot.Path, 0, value);
    }

    // Fields of structs are written in a boxed copy of the struct, which is then stored back.
    private static void WritePath(object target, FieldInfo[] path, int at, object? value)
    {
        if (at == path.Length - 1)
        {
            path[at].SetValue(target, value);
            return;
        }
        var inner = path[at].GetValue(target)!;
        WritePath(inner, path, at + 1, value);
        path[at].SetValue(target, inner);
    }

    /// <summary>A place in a snapshot's copies: a copied object's field (<see cref="Index"/> -1) or an element of a
    /// copied array, followed through the fields of <see cref="Path"/> (struct fields, the last one holding the value;
    /// empty for an array element itself).</summary>
    public readonly record struct Slot(object Container, int Index, FieldInfo[] Path);

    /// <summary>Whether objects of <paramref name="t"/> are left out of snapshots and shared as they are.</summary>
    public static bool IsShared(Type t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.IsArray)
        {
            return false; // an array is mutable whatever its elements are (IActorRef[], the array of a List<IActorRef>)
        }
        if (t.IsPrimitive || t.IsEnum || t.IsPointer || t == typeof(string) || t == typeof(decimal))
        {
            return true;
        }
        if (typeof(Delegate).IsAssignableFrom(t) || typeof(MemberInfo).IsAssignableFrom(t))
        {
            return true;
        }
        var ns = t.Namespace ?? "";
        return IsAkka(t)
            || ns.StartsWith("System.Threading", StringComparison.Ordinal)
            || ns.StartsWith("System.Reflection", StringComparison.Ordinal);
    }

    private static bool IsAkka(Type t) => t.Assembly.GetName().Name is { } name
        && (name == "Akka" || name.StartsWith("Akka.", StringComparison.Ordinal));

    private static TypePlan PlanOf(Type t) => Plans.GetOrAdd(t, static t => new TypePlan(t));

    /// <summary>A type's instance fields (down to, not into, an Akka base class) and the emitted method that copies
    /// them from one instance to another.</summary>
    private sealed class TypePlan
    {
        public TypePlan(Type t)
        {
            var fields = new List<FieldInfo>();
            for (var c = t; c is not null && !IsAkka(c) && c != typeof(object); c = c.BaseType)
            {
                fields.AddRange(c.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly));
            }
            Fields = [.. fields];
            CopyFields = Emit(t, Fields);
        }

        public FieldInfo[] Fields { get; }

        /// <summary>(from, to): copies every field of <see cref="Fields"/>; for a struct, from box to box (a boxed struct
        /// can change in place, through an interface it implements).</summary>
        public Action<object, object> CopyFields { get; }

        private static Action<object, object> Emit(Type t, FieldInfo[] fields)
        {
            var method = new DynamicMethod($"CopyFields_{t.Name}", null, [typeof(object), typeof(object)], typeof(ObjectGraphSnapshot).Module,
                skipVisibility: true);
            var il = method.GetILGenerator();
            var cast = t.IsValueType ? OpCodes.Unbox : OpCodes.Castclass;
            foreach (var f in fields)
            {
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(cast, t);
                il.Emit(OpCodes.Ldarg_0);
                il.Emit(cast, t);
                il.Emit(OpCodes.Ldfld, f);
                il.Emit(OpCodes.Stfld, f);
            }
            il.Emit(OpCodes.Ret);
            return method.CreateDelegate<Action<object, object>>();
        }
    }
}
