namespace SourceStripe.State;

/// <summary>
/// The connector's state as <c>open</c> hands it over (the merge of every checkpoint), in its one shape
/// (docs/state.md):
/// <code>
/// {"version": 2,
///  "bindings": [{"stateKey": "charges", "backfill": 0, "fullRefresh": false}, null, …],
///  "accounts": {"acct_…": {"base": …, "events": …, "run": …, "at": "…"}},
///  "pending":  {"charges": {"acct_…": {"cursor": …, "events": …, "lastRun": …, "lastPass": …, "ranges": {"backfill": {"gte": …, "lt": …, "after": "ch_…", "afterCreated": …}}}}}}
/// </code>
/// An account that has caught up in a binding has its cursors in its row (<see cref="AccountRow"/>), at the
/// binding's column; while it has a range pending there, the binding's entry for it in <c>pending</c> holds its
/// whole progress and takes precedence. A column no binding uses any more is null, and rows written since leave it
/// empty.
/// </summary>
public sealed class CaptureState
{
    /// <summary>The version of the shape, in the state's <c>version</c>.</summary>
    public const int Version = 2;

    /// <summary>The rows' columns, in order; null where a column was dropped.</summary>
    public List<StateColumn?> Bindings { get; init; } = [];

    /// <summary>Each account's row, by account id.</summary>
    public Dictionary<string, AccountRow> Accounts { get; init; } = new(StringComparer.Ordinal);

    /// <summary>By binding state key, by account id: the progress of an account with a range pending in that binding.</summary>
    public Dictionary<string, Dictionary<string, AccountState>> Pending { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The column of a binding with this counter and mode, or -1.</summary>
    public int ColumnOf(StateColumn column) => Bindings.IndexOf(column);

    /// <summary>
    /// Each account's progress in the binding of <paramref name="stateKey"/> (its latest column): its pending entry, or
    /// what its row holds for it. What the terminal command's progress, the tests and the bench read.
    /// </summary>
    public IEnumerable<(string Account, AccountState State)> ProgressOf(string stateKey)
    {
        var pending = Pending.GetValueOrDefault(stateKey);
        foreach (var (account, state) in pending ?? [])
        {
            yield return (account, state);
        }
        var index = Bindings.FindLastIndex(c => c?.StateKey == stateKey);
        if (index < 0)
        {
            yield break;
        }
        foreach (var (account, row) in Accounts)
        {
            if (pending?.ContainsKey(account) != true && row.StateOf(index, Bindings[index]!) is { } state)
            {
                yield return (account, state);
            }
        }
    }
}
