namespace SourceStripe.State;

/// <summary>Where each binding of a capture keeps its cursors in the rows, and what placing them changed.</summary>
public sealed record StateLayout(IReadOnlyList<StateColumn?> Columns, IReadOnlyList<int> ColumnOfBinding, IReadOnlyList<string> Restarted, StatePatch? Patch)
{
    /// <summary>
    /// Gives each binding (its column as this capture has it) its column in <paramref name="state"/>'s rows: the one
    /// it had, or a new one at the end. A column no binding has any more (a binding removed, its backfill counter
    /// raised, its mode changed) is dropped: null in the list, never reused, since rows written before still hold
    /// values there. The entries a dropped column's binding had in <c>pending</c> go with it, those of the accounts
    /// <paramref name="owns"/> says are this shard's (the others are the other shards'); <paramref name="state"/> is
    /// changed to match. <see cref="Restarted"/> names the bound state keys that start over in a new column.
    /// </summary>
    public static StateLayout Place(CaptureState state, IReadOnlyList<StateColumn> bindings, Func<string, bool> owns, bool ownsAll)
    {
        var columns = state.Bindings;
        var patch = new StatePatch();
        var changed = false;
        List<string> restarted = [];
        for (var c = 0; c < columns.Count; c++)
        {
            if (columns[c] is { } column && !bindings.Contains(column))
            {
                columns[c] = null;
                changed = true;
                if (bindings.Any(b => b.StateKey == column.StateKey))
                {
                    restarted.Add(column.StateKey);
                }
            }
        }
        var placed = new int[bindings.Count];
        for (var b = 0; b < bindings.Count; b++)
        {
            placed[b] = columns.IndexOf(bindings[b]);
            if (placed[b] < 0)
            {
                columns.Add(bindings[b]);
                placed[b] = columns.Count - 1;
                changed = true;
            }
        }
        // An entry in pending belongs to its state key's column: gone with it, or with the binding.
        foreach (var stateKey in state.Pending.Keys.Where(k => restarted.Contains(k) || bindings.All(b => b.StateKey != k)).ToList())
        {
            changed = true;
            if (ownsAll)
            {
                patch.ClearPending(stateKey);
                state.Pending.Remove(stateKey);
                continue;
            }
            foreach (var account in state.Pending[stateKey].Keys.Where(owns).ToList())
            {
                patch.Pending(stateKey, account, null);
                state.Pending[stateKey].Remove(account);
            }
        }
        if (changed)
        {
            patch.Bindings(columns);
        }
        return new StateLayout(columns, placed, restarted, changed ? patch : null);
    }
}
