using SourceStripe.Capture.Accounts;
using SourceStripe.Capture.Output;
using SourceStripe.Logging;
using SourceStripe.State;
using SourceStripe.Streams;

namespace SourceStripe.Capture;

/// <summary>How an account's binding writes its state: only with the documents it records, one account a checkpoint.</summary>
public sealed partial class AccountBinding
{
    /// <summary>Commits the state if it changed since its last checkpoint: the capture's last word for this binding.</summary>
    public Task FlushAsync(CancellationToken stop)
    {
        lock (Account.Gate)
        {
            if (!_dirty)
            {
                return Task.CompletedTask;
            }
        }
        return CommitAsync(Context.NewBatch(), null, stop);
    }

    /// <summary>
    /// Hands <paramref name="batch"/>'s documents to the writer with a checkpoint of this account's state,
    /// after applying <paramref name="change"/> to it: the only way the state changes once a range is read.
    /// </summary>
    public Task CommitAsync(CommitBatch batch, Action<AccountState>? change, CancellationToken stop)
    {
        var (lines, documents) = batch.Take();
        lock (Account.Gate)
        {
            _dirty = false;
            change?.Invoke(_state);
            if (Binding.Mode == SyncMode.FullRefresh && _state.PendingRanges.Count > 0 && _state.PendingRanges.Values.All(r => r is null))
            {
                _state.LastPass = _state.LastRun;
                Log.Info($"Finished a full pass of {Stream.Name}{Account.Of}");
            }
            Context.Writer.Add(lines, documents, Binding.StateKey, Patch());
            // Finished ranges were written as null (a merge patch deletes them); now forget them.
            _state.ForgetFinished();
        }
        return Task.CompletedTask;
    }

    /// <summary>A range is done: written as null by the next checkpoint, then forgotten. Call inside a commit's change.</summary>
    public static void Finish(AccountState state, string key)
    {
        if (state.PendingRanges.ContainsKey(key))
        {
            state.Pending[key] = null;
        }
    }

    /// <summary>
    /// The checkpoint's merge patch: with a range pending, this account's entry in the binding's pending progress;
    /// with none, the account's row (<see cref="AccountCapture.Row"/>), and the entry deleted (which also tells a
    /// reader of the checkpoint which binding caught up). Holds the lock.
    /// </summary>
    private byte[] Patch()
    {
        var patch = new StatePatch();
        if (CaughtUp is null)
        {
            patch.Pending(Binding.StateKey, AccountId, _state);
        }
        else
        {
            patch.Pending(Binding.StateKey, AccountId, null).Row(AccountId, Account.Row());
        }
        return patch.ToArray();
    }
}
