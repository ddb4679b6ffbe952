using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.CompilerServices;
using Akka.Actor;

namespace Actors.Scheduling.Tests;

/// <summary><see cref="ObjectGraphSnapshot"/> without Akka: plain objects, structs, arrays and BCL collections, taken,
/// mutated and restored in place.</summary>
public sealed class ObjectGraphSnapshotTests
{
    [Fact]
    public void Snapshot_must_restore_private_readonly_and_auto_property_fields_in_place()
    {
        var leaf = new Leaf(7, "seven");
        var root = new Plain(1, leaf) { Name = "before", Count = 3 };
        var snapshot = ObjectGraphSnapshot.Take([root]);

        root.SetSecret(99);
        root.Name = "after";
        root.Count = 42;
        // A readonly field can only change through reflection: Restore must still write it back.
        typeof(Plain).GetField("_id", BindingFlags.Instance | BindingFlags.NonPublic)!.SetValue(root, 123);
        typeof(Plain).GetField("_leaf", BindingFlags.Instance | BindingFlags.NonPublic)!.SetValue(root, new Leaf(0, "zero"));
        leaf.Value = 8;
        leaf.Label = "eight";

        snapshot.Restore();

        Assert.Equal(0, root.Secret);
        Assert.Equal("before", root.Name);
        Assert.Equal(3, root.Count);
        Assert.Equal(1, root.Id);
        Assert.Same(leaf, root.Leaf);
        Assert.Equal(7, leaf.Value);
        Assert.Equal("seven", leaf.Label);
        Assert.Equal(2, snapshot.ObjectCount); // root and leaf; the strings are shared
    }

    [Fact]
    public void Snapshot_must_restore_nested_objects_and_cycles()
    {
        var a = new Node(1);
        var b = new Node(2);
        var c = new Node(3);
        a.Next = b;
        b.Next = c;
        c.Next = a;
        var snapshot = ObjectGraphSnapshot.Take([a]);
        Assert.Equal(3, snapshot.ObjectCount);

        a.Value = 10;
        b.Value = 20;
        c.Value = 30;
        b.Next = a;
        c.Next = null;

        snapshot.Restore();

        Assert.Equal((1, 2, 3), (a.Value, b.Value, c.Value));
        Assert.Same(b, a.Next);
        Assert.Same(c, b.Next);
        Assert.Same(a, c.Next);
    }

    [Fact]
    public void Snapshot_must_keep_shared_references_shared()
    {
        var shared = new Leaf(1, "one");
        var pair = new Pair { First = shared, Second = shared };
        var snapshot = ObjectGraphSnapshot.Take([pair]);
        Assert.Equal(2, snapshot.ObjectCount); // the shared leaf once

        pair.First = new Leaf(2, "two");
        pair.Second!.Value = 5;
        pair.Second = null;

        snapshot.Restore();

        Assert.Same(shared, pair.First);
        Assert.Same(pair.First, pair.Second);
        Assert.Equal(1, shared.Value);
    }

    [Fact]
    public void Snapshot_must_count_each_root_once_and_ignore_null_and_shared_roots()
    {
        var leaf = new Leaf(1, "one");
        var snapshot = ObjectGraphSnapshot.Take([leaf, leaf, null!, "a string", 42]);
        Assert.Equal(1, snapshot.ObjectCount);
        Assert.Equal(0, ObjectGraphSnapshot.Take([]).ObjectCount);
        Assert.Throws<ArgumentNullException>(() => ObjectGraphSnapshot.Take(null!));
    }

    [Fact]
    public void Snapshot_must_restore_primitive_and_reference_arrays_in_place()
    {
        var numbers = new[] { 1, 2, 3 };
        var leaves = new[] { new Leaf(1, "a"), new Leaf(2, "b"), null };
        var jagged = new[] { new[] { 1 }, new[] { 2, 3 } };
        var holder = new ArrayHolder { Numbers = numbers, Leaves = leaves, Jagged = jagged };
        var first = leaves[0]!;
        var second = leaves[1]!;
        var row = jagged[1];
        var snapshot = ObjectGraphSnapshot.Take([holder]);

        numbers[0] = 100;
        leaves[0] = new Leaf(9, "z");
        leaves[2] = second;
        second.Value = 22;
        row[1] = 33;
        jagged[0] = [7, 7];
        holder.Numbers = [5];

        snapshot.Restore();

        Assert.Same(numbers, holder.Numbers);
        Assert.Equal([1, 2, 3], numbers);
        Assert.Same(leaves, holder.Leaves);
        Assert.Same(first, leaves[0]);
        Assert.Same(second, leaves[1]);
        Assert.Null(leaves[2]);
        Assert.Equal(2, second.Value);
        Assert.Same(row, jagged[1]);
        Assert.Equal([2, 3], row);
        Assert.Equal([1], jagged[0]);
    }

    [Fact]
    public void Snapshot_must_restore_struct_arrays_and_the_objects_their_elements_reference()
    {
        var items = new List<int> { 1 };
        var slots = new[] { new Slot(1, items), new Slot(2, null) };
        var snapshot = ObjectGraphSnapshot.Take([slots]);
        Assert.Equal(3, snapshot.ObjectCount); // the array, the list and the list's array

        items.Add(2);
        slots[0].Number = 10;
        slots[1] = new Slot(3, [4, 5]);

        snapshot.Restore();

        Assert.Equal(1, slots[0].Number);
        Assert.Same(items, slots[0].Items);
        Assert.Equal([1], items);
        Assert.Equal(2, slots[1].Number);
        Assert.Null(slots[1].Items);
    }

    [Fact]
    public void Snapshot_must_walk_multidimensional_arrays()
    {
        var cell = new List<int> { 1 };
        var grid = new List<int>?[2, 2];
        grid[0, 1] = cell;
        var numbers = new int[2, 2];
        numbers[1, 1] = 4;
        var snapshot = ObjectGraphSnapshot.Take([grid, numbers]);

        cell.Add(2);
        grid[1, 0] = [3];
        numbers[1, 1] = 5;
        numbers[0, 0] = 6;

        snapshot.Restore();

        Assert.Same(cell, grid[0, 1]);
        Assert.Equal([1], cell);
        Assert.Null(grid[1, 0]);
        Assert.Equal(4, numbers[1, 1]);
        Assert.Equal(0, numbers[0, 0]);
    }

    [Fact]
    public void Snapshot_must_walk_arrays_whose_element_type_would_be_shared()
    {
        // The array is mutable even when its elements are of a shared type (here an Akka type).
        var paths = new ActorPath[] { ActorPath.Parse("akka://sys/user/a") };
        var first = paths[0];
        var list = new List<ActorPath> { first }; // its array is an ActorPath[]
        var snapshot = ObjectGraphSnapshot.Take([paths, list]);

        paths[0] = ActorPath.Parse("akka://sys/user/b");
        list[0] = paths[0];

        snapshot.Restore();

        Assert.Same(first, paths[0]);
        Assert.Same(first, Assert.Single(list));
    }

    [Fact]
    public void Snapshot_must_restore_a_list_after_adds_removes_and_growth()
    {
        var first = new Leaf(1, "a");
        var list = new List<Leaf> { first, new(2, "b"), new(3, "c") };
        var holder = new Holder<List<Leaf>>(list);
        var expected = list.ToArray();
        var snapshot = ObjectGraphSnapshot.Take([holder]);

        list.RemoveAt(1);
        for (var i = 0; i < 100; i++)
        {
            list.Add(new Leaf(i, "new"));
        }

        list[0] = new Leaf(0, "replaced");
        first.Value = 100;
        list.Reverse();

        snapshot.Restore();

        Assert.Same(list, holder.Value);
        Assert.Equal(expected, list);
        Assert.Equal(1, first.Value);
        list.Add(new Leaf(4, "d")); // still a working list
        Assert.Equal(4, list.Count);
        Assert.Same(first, list[0]);
    }

    [Fact]
    public void Snapshot_must_restore_a_dictionary_after_adds_removes_and_resizes()
    {
        var dict = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < 5; i++)
        {
            dict.Add($"k{i}", [i]);
        }

        var k0 = dict["k0"];
        var expected = Contents(dict);
        var snapshot = ObjectGraphSnapshot.Take([dict]);

        dict.Remove("k1");
        dict.Remove("k3");
        k0.Add(42);
        dict["k2"] = [-1];
        for (var i = 100; i < 1000; i++) // several resizes
        {
            dict.Add($"k{i}", [i]);
        }

        dict.Remove("k500");
        Assert.NotEqual(expected, Contents(dict));

        snapshot.Restore();

        Assert.Equal(expected, Contents(dict));
        Assert.Same(k0, dict["k0"]);
        Assert.Equal([0], k0);
        Assert.False(dict.ContainsKey("k100"));
        Assert.True(dict.ContainsKey("k1"));
        Assert.True(dict.ContainsKey("k3"));

        // Buckets, entries and free list are consistent again: the dictionary keeps working.
        dict.Remove("k4");
        dict.Add("x", [7]);
        dict.Add("y", [8]);
        Assert.Equal(6, dict.Count);
        Assert.Equal([7], dict["x"]);
        Assert.Equal(["k0", "k1", "k2", "k3", "x", "y"], dict.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Snapshot_must_restore_a_dictionary_with_a_free_list_at_the_snapshot()
    {
        var dict = new Dictionary<int, int>();
        for (var i = 0; i < 10; i++)
        {
            dict[i] = i * i;
        }

        dict.Remove(3);
        dict.Remove(7);
        var expected = dict.OrderBy(p => p.Key).ToArray();
        var snapshot = ObjectGraphSnapshot.Take([dict]);

        dict[3] = 1;
        dict[7] = 2;
        dict[11] = 3;
        dict.Remove(0);

        snapshot.Restore();

        Assert.Equal(expected, dict.OrderBy(p => p.Key));
        dict[3] = 9;
        dict[7] = 49;
        Assert.Equal(10, dict.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * i), Enumerable.Range(0, 10).Select(i => dict[i]));
    }

    [Fact]
    public void Snapshot_must_restore_hash_sets_queues_sorted_dictionaries_stacks_and_linked_lists()
    {
        var set = new HashSet<int> { 1, 2, 3 };
        var queue = new Queue<string>(["a", "b", "c"]);
        queue.Dequeue(); // head away from index 0, so later enqueues wrap around
        var sorted = new SortedDictionary<int, string> { [5] = "five", [1] = "one", [9] = "nine" };
        var stack = new Stack<int>([1, 2]);
        var linked = new LinkedList<int>([1, 2, 3]);
        var holder = new Collections(set, queue, sorted, stack, linked);
        var snapshot = ObjectGraphSnapshot.Take([holder]);

        set.Remove(2);
        for (var i = 10; i < 100; i++)
        {
            set.Add(i);
        }

        queue.Dequeue();
        for (var i = 0; i < 20; i++)
        {
            queue.Enqueue($"q{i}");
        }

        sorted.Remove(5);
        for (var i = 10; i < 60; i++)
        {
            sorted[i] = $"v{i}"; // rebalances the red-black tree
        }

        sorted[1] = "uno";
        stack.Pop();
        stack.Push(7);
        stack.Push(8);
        linked.RemoveFirst();
        linked.AddLast(4);

        snapshot.Restore();

        Assert.Same(set, holder.Set);
        Assert.Equal([1, 2, 3], set.Order());
        Assert.Same(queue, holder.Queue);
        Assert.Equal(["b", "c"], queue);
        Assert.Same(sorted, holder.Sorted);
        Assert.Equal([1, 5, 9], sorted.Keys);
        Assert.Equal(["one", "five", "nine"], sorted.Values);
        Assert.Same(stack, holder.Stack);
        Assert.Equal([2, 1], stack);
        Assert.Same(linked, holder.Linked);
        Assert.Equal([1, 2, 3], linked);
        Assert.Equal(3, linked.Last!.Value);

        // Each still works after the restore.
        Assert.True(set.Add(4));
        queue.Enqueue("d");
        Assert.Equal("b", queue.Dequeue());
        sorted[3] = "three";
        Assert.Equal([1, 3, 5, 9], sorted.Keys);
        linked.AddFirst(0);
        Assert.Equal([0, 1, 2, 3], linked);
    }

    [Fact]
    public void Snapshot_must_leave_objects_made_after_take_unreferenced()
    {
        var root = new Node(1) { Next = new Node(2) };
        var list = new List<Node> { root };
        var holder = new Holder<List<Node>>(list);
        var snapshot = ObjectGraphSnapshot.Take([holder]);

        var made = LinkNewObjects(root, list);
        Assert.True(made.All(w => w.IsAlive));

        snapshot.Restore();

        Assert.Equal(2, root.Next!.Value);
        Assert.Null(root.Next.Next);
        Assert.Equal([root], list);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.All(made, w => Assert.False(w.IsAlive));
        GC.KeepAlive(snapshot);
        GC.KeepAlive(holder);
    }

    [Fact]
    public void Snapshot_must_restore_objects_referenced_from_struct_fields()
    {
        var items = new List<int> { 1 };
        var inner = new Leaf(1, "inner");
        var holder = new StructHolder
        {
            Tuple = (5, items),
            Nested = new Outer { In = new Inner { Leaf = inner, Number = 2 } },
        };
        var snapshot = ObjectGraphSnapshot.Take([holder]);
        Assert.Equal(4, snapshot.ObjectCount); // the holder, the list, its array and the leaf

        holder.Tuple.Items.Add(2);
        holder.Tuple.Count = 6;
        inner.Value = 10;
        holder.Nested.In.Number = 3;
        holder.Nested.In.Leaf = new Leaf(0, "other");

        snapshot.Restore();

        Assert.Equal(5, holder.Tuple.Count);
        Assert.Same(items, holder.Tuple.Items);
        Assert.Equal([1], items);
        Assert.Same(inner, holder.Nested.In.Leaf);
        Assert.Equal(1, inner.Value);
        Assert.Equal(2, holder.Nested.In.Number);
    }

    [Fact]
    public void Snapshot_must_walk_nullable_struct_fields()
    {
        var items = new List<int> { 1 };
        var holder = new NullableHolder { Slot = new Slot(1, items), When = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc) };
        var slots = new Slot?[] { new Slot(2, items), null };
        var snapshot = ObjectGraphSnapshot.Take([holder, slots]);
        Assert.Equal(4, snapshot.ObjectCount); // the holder, the array, the list and the list's array

        items.Add(2);
        holder.Slot = null;
        holder.When = null;
        slots[1] = new Slot(3, null);

        snapshot.Restore();

        Assert.Same(items, holder.Slot?.Items);
        Assert.Equal([1], items);
        Assert.Equal(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), holder.When);
        Assert.Null(slots[1]);
    }

    [Fact]
    public void Snapshot_must_restore_a_boxed_struct_mutated_through_an_interface()
    {
        var items = new List<int> { 1 };
        var holder = new Holder<object>(new MutableCounter(1, items));
        var box = holder.Value;
        var snapshot = ObjectGraphSnapshot.Take([holder]);
        Assert.Equal(4, snapshot.ObjectCount); // the holder, the box, the list and its array

        ((ICounter)box).Increment();
        Assert.Equal(2, ((ICounter)box).Value);

        snapshot.Restore();

        Assert.Same(box, holder.Value);
        Assert.Equal(1, ((ICounter)box).Value);
        Assert.Equal([1], items);
    }

    [Fact]
    public void Snapshot_must_restore_string_fields_without_walking_strings()
    {
        var holder = new Pair { Text = "before" };
        var snapshot = ObjectGraphSnapshot.Take([holder]);
        Assert.Equal(1, snapshot.ObjectCount);

        holder.Text = "after";
        snapshot.Restore();

        Assert.Equal("before", holder.Text);
    }

    [Fact]
    public void Snapshot_must_restore_delegate_and_akka_fields_as_references_without_walking_them()
    {
        var captured = new List<int> { 1 };
        Func<int> count = () => captured.Count;
        var props = Props.Create<UntypedActorStub>();
        var holder = new SharedHolder { Count = count, Props = props };
        var snapshot = ObjectGraphSnapshot.Take([holder]);
        Assert.Equal(1, snapshot.ObjectCount); // neither the closure nor Akka's props

        holder.Count = () => -1;
        holder.Props = Props.Empty;
        captured.Add(2); // the closure's state is shared, not restored

        snapshot.Restore();

        Assert.Same(count, holder.Count);
        Assert.Equal(2, holder.Count());
        Assert.Same(props, holder.Props);
    }

    [Fact]
    public void Snapshot_must_restore_an_immutable_collection_field_as_a_reference_and_walk_what_it_holds()
    {
        var inner = new Leaf(1, "inner");
        var items = ImmutableList.Create(inner);
        var holder = new SharedHolder { Items = items };
        var snapshot = ObjectGraphSnapshot.Take([holder]);

        holder.Items = holder.Items!.Add(new Leaf(2, "added"));
        inner.Value = 10; // a mutable object inside an immutable list (a pid's numbers hold namespace handles)

        snapshot.Restore();

        Assert.Same(items, holder.Items);
        Assert.Same(inner, Assert.Single(holder.Items));
        Assert.Equal(1, inner.Value);
    }

    [Fact]
    public void Snapshot_must_not_walk_or_reset_a_lock()
    {
        var holder = new LockHolder();
        var gate = holder.Gate;
        var snapshot = ObjectGraphSnapshot.Take([holder]);
        Assert.Equal(1, snapshot.ObjectCount);

        gate.Enter();
        try
        {
            holder.Gate = new Lock();
            snapshot.Restore();

            Assert.True(holder.Gate == gate); // (Assert.Same would box the Lock into object: CS9216)
            Assert.True(gate.IsHeldByCurrentThread); // its state was not written back
        }
        finally
        {
            gate.Exit();
        }
    }

    [Fact]
    public void Snapshot_must_restore_the_same_state_each_time()
    {
        var list = new List<int> { 1, 2 };
        var dict = new Dictionary<int, List<int>> { [1] = list };
        var node = new Node(1) { Next = new Node(2) };
        var snapshot = ObjectGraphSnapshot.Take([dict, node]);

        for (var round = 0; round < 5; round++)
        {
            list.Add(round);
            list.RemoveAt(0);
            dict.Remove(1);
            for (var i = 10; i < 10 + (round * 20); i++)
            {
                dict[i] = [i];
            }

            node.Value = round + 100;
            node.Next!.Next = new Node(round);

            snapshot.Restore();

            Assert.Equal([1, 2], list);
            Assert.Single(dict);
            Assert.Same(list, dict[1]);
            Assert.Equal(1, node.Value);
            Assert.Equal(2, node.Next!.Value);
            Assert.Null(node.Next.Next);
        }
    }

    [Theory]
    [InlineData(typeof(string), true)]
    [InlineData(typeof(int), true)]
    [InlineData(typeof(decimal), true)]
    [InlineData(typeof(DayOfWeek), true)]
    [InlineData(typeof(Action), true)]
    [InlineData(typeof(Func<int, string>), true)]
    [InlineData(typeof(Type), true)]
    [InlineData(typeof(MethodInfo), true)]
    [InlineData(typeof(Lock), true)]
    [InlineData(typeof(SemaphoreSlim), true)]
    [InlineData(typeof(CancellationToken), true)]
    [InlineData(typeof(Task), true)]
    [InlineData(typeof(ActorPath), true)]
    [InlineData(typeof(Props), true)]
    [InlineData(typeof(UntypedActor), true)]
    [InlineData(typeof(object), false)]
    [InlineData(typeof(DateTime), false)]
    [InlineData(typeof(List<int>), false)]
    [InlineData(typeof(List<IActorRef>), false)]
    [InlineData(typeof(Dictionary<string, object>), false)]
    [InlineData(typeof(int[]), false)]
    [InlineData(typeof(string[]), false)]
    [InlineData(typeof(IActorRef[]), false)]
    [InlineData(typeof(ImmutableList<int>), false)] // walked: what it holds may be mutable
    [InlineData(typeof(ImmutableDictionary<string, int>), false)]
    [InlineData(typeof(ImmutableList<int>[]), false)]
    [InlineData(typeof(ValueTuple<int, List<int>>), false)]
    [InlineData(typeof(Leaf), false)]
    public void IsShared_must_share_immutable_scalars_threading_reflection_and_akka_types_only(Type type, bool shared) =>
        Assert.Equal(shared, ObjectGraphSnapshot.IsShared(type));

    [Fact]
    public void IsShared_must_share_runtime_reflection_and_delegate_types()
    {
        Assert.True(ObjectGraphSnapshot.IsShared(typeof(string).GetType())); // RuntimeType
        Assert.True(ObjectGraphSnapshot.IsShared(typeof(Leaf).GetMethod(nameof(Leaf.ToString))!.GetType()));
        Func<int> lambda = () => 1;
        Assert.True(ObjectGraphSnapshot.IsShared(lambda.GetType()));
        Assert.Throws<ArgumentNullException>(() => ObjectGraphSnapshot.IsShared(null!));
    }

    /// <summary>FindSlots finds a value wherever the copies hold it (a readonly field, a struct field, a list's array, a
    /// dictionary's value, an immutable array, a struct in an array); Write changes the copies only, and the next
    /// Restore writes the new value into the live objects. Where it is a key (dictionary, set, sorted set) or inside a
    /// two-dimensional array, it is reported as unsupported and gets no slot.</summary>
    [Fact]
    public void FindSlots_must_find_a_value_everywhere_the_copies_hold_it_and_Write_must_reach_the_live_objects()
    {
        var old = new Token("old");
        var keyed = new Token("keyed");
        var holder = new RefHolder(old)
        {
            Pair = (1, old),
            List = [old, new Token("other")],
            ByName = new() { ["a"] = old },
            Immutable = [old],
            Structs = [new RefStruct(2, old), new RefStruct(3, null)],
            ByKey = new() { [keyed] = 1 },
            Set = [keyed],
            Sorted = new(Comparer<Token>.Create(static (a, b) => string.CompareOrdinal(a.Name, b.Name))) { keyed },
            Grid = new object?[1, 1],
        };
        holder.Grid[0, 0] = keyed;
        var snapshot = ObjectGraphSnapshot.Take([holder]);
        var unsupported = new List<int>();

        var slots = snapshot.FindSlots(o => ReferenceEquals(o, old) ? 1 : ReferenceEquals(o, keyed) ? 2 : -1, unsupported.Add);

        Assert.All(slots, s => Assert.Equal(1, s.Key));
        Assert.Equal(6, slots.Count); // field, tuple, list, dictionary value, immutable array, struct in an array, ...
        Assert.Equal([2, 2, 2, 2], unsupported); // ... and the dictionary key, the set, the sorted set, the grid
        var fresh = new Token("new");
        foreach (var (_, slot) in slots)
        {
            ObjectGraphSnapshot.Write(slot, fresh);
        }
        Assert.Same(old, holder.Ref); // the live objects are untouched until Restore
        holder.List.Add(old);

        snapshot.Restore();

        Assert.Same(fresh, holder.Ref);
        Assert.Same(fresh, holder.Pair.Item2);
        Assert.Same(fresh, holder.List[0]);
        Assert.Equal(2, holder.List.Count);
        Assert.Same(fresh, holder.ByName["a"]);
        Assert.Same(fresh, holder.Immutable[0]);
        Assert.Same(fresh, holder.Structs[0].Ref);
        Assert.Null(holder.Structs[1].Ref);
        Assert.Equal(1, holder.ByKey[keyed]);
        Assert.Contains(keyed, holder.Set);
        Assert.Contains(keyed, holder.Sorted);
        Assert.Same(keyed, holder.Grid[0, 0]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference[] LinkNewObjects(Node root, List<Node> list)
    {
        var grandchild = new Node(3);
        root.Next!.Next = grandchild;
        var appended = new Node(4);
        list.Add(appended);
        return [new WeakReference(grandchild), new WeakReference(appended)];
    }

    private static string[] Contents(Dictionary<string, List<int>> dict) =>
        [.. dict.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}=[{string.Join(",", p.Value)}]")];

    private sealed class Token(string name)
    {
        public string Name { get; } = name;
    }

    private readonly struct RefStruct(int number, Token? value)
    {
        public int Number { get; } = number;

        public Token? Ref { get; } = value;
    }

    private sealed class RefHolder(Token value)
    {
        public Token Ref { get; } = value;

        public (int N, Token Item2) Pair { get; set; }

        public List<Token> List { get; set; } = [];

        public Dictionary<string, Token> ByName { get; set; } = [];

        public ImmutableArray<Token> Immutable { get; set; } = [];

        public RefStruct[] Structs { get; set; } = [];

        public Dictionary<Token, int> ByKey { get; set; } = [];

        public HashSet<Token> Set { get; set; } = [];

        public SortedSet<Token> Sorted { get; set; } = [];

        public object?[,] Grid { get; set; } = new object?[0, 0];
    }

    private sealed class Leaf(int value, string label)
    {
        public int Value { get; set; } = value;

        public string Label { get; set; } = label;

        public override string ToString() => $"{Label}:{Value}";
    }

    private sealed class Plain(int id, Leaf leaf)
    {
        private readonly int _id = id;
        private readonly Leaf _leaf = leaf;
        private int _secret;

        public string? Name { get; set; }

        public int Count { get; set; }

        public int Id => _id;

        public Leaf Leaf => _leaf;

        public int Secret => _secret;

        public void SetSecret(int value) => _secret = value;
    }

    private sealed class Node(int value)
    {
        public int Value { get; set; } = value;

        public Node? Next { get; set; }
    }

    private sealed class Pair
    {
        public Leaf? First { get; set; }

        public Leaf? Second { get; set; }

        public string? Text { get; set; }
    }

    private sealed class Holder<T>(T value)
    {
        public T Value { get; } = value;
    }

    private sealed class ArrayHolder
    {
        public int[] Numbers { get; set; } = [];

        public Leaf?[] Leaves { get; set; } = [];

        public int[][] Jagged { get; set; } = [];
    }

    private sealed record Collections(
        HashSet<int> Set, Queue<string> Queue, SortedDictionary<int, string> Sorted, Stack<int> Stack, LinkedList<int> Linked);

    private struct Slot(int number, List<int>? items)
    {
        public int Number = number;
        public List<int>? Items = items;
    }

    private struct Inner
    {
        public Leaf? Leaf;
        public int Number;
    }

    private struct Outer
    {
        public Inner In;
    }

    private sealed class StructHolder
    {
        public (int Count, List<int> Items) Tuple;
        public Outer Nested;
    }

    private sealed class NullableHolder
    {
        public Slot? Slot { get; set; }

        public DateTime? When { get; set; }
    }

    private interface ICounter
    {
        int Value { get; }

        void Increment();
    }

    private struct MutableCounter(int value, List<int> items) : ICounter
    {
        private int _value = value;
        private readonly List<int> _items = items;

        public readonly int Value => _value;

        public void Increment()
        {
            _value++;
            _items.Add(_value);
        }
    }

    private sealed class SharedHolder
    {
        public ImmutableList<Leaf>? Items { get; set; }

        public Func<int> Count { get; set; } = () => 0;

        public Props Props { get; set; } = Props.None;
    }

    private sealed class UntypedActorStub : UntypedActor
    {
        protected override void OnReceive(object message) => Unhandled(message);
    }

    private sealed class LockHolder
    {
        public Lock Gate { get; set; } = new();
    }
}
