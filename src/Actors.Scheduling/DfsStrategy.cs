using System.Text;

namespace Actors.Scheduling;

/// <summary>Exhaustive stateless depth-first search over choice indices (stateless model checking).</summary>
/// <remarks>
/// Keeps a stack of (choice, enabled count) per step. Each iteration replays the stack's prefix and extends
/// it with choice 0; the next iteration bumps the deepest choice that has an untried sibling.
/// <see cref="PrepareIteration"/> returns false once every schedule was explored (iteration 0 restarts).
/// While replaying a prefix, the number of enabled items and the label chosen must match what was recorded,
/// or a <see cref="NondeterminismException"/> is thrown: the model is not a function of the choices.
/// A schedule that ends early (step bound, callback) counts as explored up to where it ended.
/// </remarks>
public sealed class DfsStrategy : ISchedulingStrategy
{
    private readonly List<Frame> _stack = [];
    private int _position;
    private bool _started;

    /// <summary>Schedules started so far (since iteration 0).</summary>
    public long Schedules { get; private set; }

    /// <summary>True when every schedule was explored.</summary>
    public bool Exhausted { get; private set; }

    /// <summary>The choice indices of the current schedule so far (replayable with <see cref="ChoiceReplayStrategy"/>).</summary>
    public IReadOnlyList<int> CurrentChoices
    {
        get
        {
            var choices = new int[Math.Min(_position, _stack.Count)];
            for (var i = 0; i < choices.Length; i++)
            {
                choices[i] = _stack[i].Choice;
            }

            return choices;
        }
    }

    /// <inheritdoc />
    public bool PrepareIteration(int iteration)
    {
        if (iteration == 0 || !_started)
        {
            _started = true;
            _stack.Clear();
            _position = 0;
            Exhausted = false;
            Schedules = 1;
            return true;
        }

        if (Exhausted)
        {
            return false;
        }

        if (_position < _stack.Count)
        {
            _stack.RemoveRange(_position, _stack.Count - _position);
        }

        _position = 0;
        while (_stack.Count > 0)
        {
            var top = _stack[^1];
            if (top.Choice + 1 < top.Count)
            {
                _stack[^1] = new Frame(top.Choice + 1, top.Count, null, null);
                Schedules++;
                return true;
            }

            _stack.RemoveAt(_stack.Count - 1);
        }

        Exhausted = true;
        return false;
    }

    /// <inheritdoc />
    public int Choose(IReadOnlyList<SchedulableItem> enabled, int stepIndex)
    {
        ArgumentNullException.ThrowIfNull(enabled);
        if (_position < _stack.Count)
        {
            var frame = _stack[_position];
            if (enabled.Count != frame.Count)
            {
                throw new NondeterminismException(
                    _position,
                    $"DFS replay diverged at step {_position} of schedule {Schedules}: {enabled.Count} item(s) enabled, " +
                    $"but {frame.Count} when this prefix was first explored{Chosen(frame)}. Enabled now: {Describe(enabled)}");
            }

            var item = enabled[frame.Choice];
            if (frame.Actor is null)
            {
                _stack[_position] = new Frame(frame.Choice, frame.Count, item.Actor, item.Message);
            }
            else if (!string.Equals(frame.Actor, item.Actor, StringComparison.Ordinal) ||
                     !string.Equals(frame.Message, item.Message, StringComparison.Ordinal))
            {
                throw new NondeterminismException(
                    _position,
                    $"DFS replay diverged at step {_position} of schedule {Schedules}: choice {frame.Choice} is " +
                    $"now '{item.Actor}: {item.Message}' but was '{frame.Actor}: {frame.Message}'. Enabled now: {Describe(enabled)}");
            }

            _position++;
            return frame.Choice;
        }

        _stack.Add(new Frame(0, enabled.Count, enabled[0].Actor, enabled[0].Message));
        _position++;
        return 0;
    }

    /// <inheritdoc />
    public string Describe() => "dfs";

    private static string Chosen(Frame frame) =>
        frame.Actor is null ? string.Empty : $" (then chose {frame.Choice}: '{frame.Actor}: {frame.Message}')";

    internal static string Describe(IReadOnlyList<SchedulableItem> enabled)
    {
        var sb = new StringBuilder("[");
        for (var i = 0; i < enabled.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(i).Append(": ").Append(enabled[i].Actor).Append(' ').Append(enabled[i].Message);
        }

        return sb.Append(']').ToString();
    }

    private readonly record struct Frame(int Choice, int Count, string? Actor, string? Message);
}
