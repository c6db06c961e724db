using System.Buffers;
using System.Globalization;
using SourceStripe.Config;
using SourceStripe.Logging;
using SourceStripe.Streams;

namespace SourceStripe.Capture;

/// <summary>
/// Captures one binding: reads its pending <c>created</c> ranges newest first, several slices at once
/// (BindingCapture.Ranges.cs), committing each page's documents with the checkpoint that records them;
/// then schedules the next range (an incremental poll or a full-refresh pass) after the binding's
/// interval. Changes from Stripe events are applied by the capture's one <see cref="EventsReader"/>
/// (BindingCapture.Events.cs).
/// </summary>
public sealed partial class BindingCapture
{
    private const int PageSize = 100;

    /// <summary>Stripe keeps events this long.</summary>
    public static readonly TimeSpan EventRetention = TimeSpan.FromDays(30);

    /// <summary>Events this close to expiring are not relied on: reading them can take a while.</summary>
    private static readonly TimeSpan RetentionMargin = TimeSpan.FromHours(1);

    private readonly CaptureContext _context;
    private readonly BoundStream _binding;
    private readonly StreamDescriptor _listed;

    /// <summary>
    /// Guards <see cref="_state"/>. State changes only together with the commit of the documents they
    /// record, so the state in memory is never ahead of what is written.
    /// </summary>
    private readonly Lock _stateLock = new();
    private BindingState _state;

    public BindingCapture(CaptureContext context, BoundStream binding, BindingState? state)
    {
        _context = context;
        _binding = binding;
        _listed = binding.Stream.Parent is { } parent ? StreamCatalog.Find(parent.Stream)! : binding.Stream;
        _state = state ?? new BindingState { Backfill = binding.Backfill };
    }

    private StreamDescriptor Stream => _binding.Stream;

    public BoundStream Binding => _binding;

    public BindingState State => _state;

    private bool IsEventsStream => ReferenceEquals(Stream, StreamCatalog.Events);

    public async Task RunAsync(CancellationToken stop)
    {
        lock (_stateLock)
        {
            if (_binding.Backfill > _state.Backfill)
            {
                StartOver($"Backfilling {Stream.Name} again: its backfill counter rose to {_binding.Backfill}", warn: false);
            }
            else if (EventsExpired())
            {
                StartOver(ExpiredMessage(), warn: true);
            }
        }

        var scheduled = false;
        while (!stop.IsCancellationRequested)
        {
            if (PendingCount() == 0)
            {
                if (scheduled && _context.StopWhenCaughtUp)
                {
                    return;
                }
                await ScheduleNextAsync(stop).ConfigureAwait(false);
                scheduled = true;
                continue;
            }
            await ReadPendingAsync(stop).ConfigureAwait(false);
            if (_binding.Mode == SyncMode.FullRefresh && PendingCount() == 0)
            {
                Commit(new Batch(), () => _state.LastPass = _state.LastRun);
                Log.Info($"Finished a full pass of {Stream.Name}");
            }
        }
    }

    private int PendingCount()
    {
        lock (_stateLock)
        {
            return _state.Pending.Count;
        }
    }

    /// <summary>Forgets the binding's progress (in a checkpoint) and backfills it from the start. Holds the state lock.</summary>
    private void StartOver(string why, bool warn)
    {
        if (warn)
        {
            Log.Warn(why);
        }
        else
        {
            Log.Info(why);
        }
        _context.Output.Reset(_binding.StateKey);
        _state = new BindingState { Backfill = Math.Max(_binding.Backfill, _state.Backfill) };
    }

    /// <summary>Adds the next range to read: the first backfill, an incremental poll, or a full-refresh pass.</summary>
    private async Task ScheduleNextAsync(CancellationToken stop)
    {
        if (_state.LastRun is { } lastRun && !_context.StopWhenCaughtUp)
        {
            var due = DateTimeOffset.FromUnixTimeSeconds(lastRun) + _binding.Interval;
            var wait = due - _context.Clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _context.Clock, stop).ConfigureAwait(false);
            }
        }
        Commit(new Batch(), ScheduleNext);
    }

    private void ScheduleNext()
    {
        var config = _context.Config;
        var now = _context.Clock.GetUtcNow();
        var lookback = (long)TimeSpan.FromDays(config.LookbackWindowDays).TotalSeconds;
        var start = config.StartDate.ToUnixTimeSeconds();
        var from = start - lookback;
        if (IsEventsStream)
        {
            // Stripe keeps events for 30 days: older ones cannot be read however early start_date is. Those
            // that expire while the backfill runs end it with Stripe's retention error.
            from = Math.Max(from, (now - EventRetention).ToUnixTimeSeconds());
        }
        var lag = IsEventsStream ? config.Advanced.EventLag : _context.ListLag;
        var upper = (now - lag).ToUnixTimeSeconds();
        _state.LastRun = now.ToUnixTimeSeconds();
        if (_binding.Mode == SyncMode.FullRefresh)
        {
            _state.Pending[PassKey] = new RangeState { Gte = start, Lt = upper };
            Log.Info($"Starting a full pass of {Stream.Name}", ("created_lt", DateTimeOffset.FromUnixTimeSeconds(upper)));
        }
        else if (_state.Cursor is not { } cursor)
        {
            // The first backfill: its upper bound is fixed now, so objects created meanwhile are left to
            // polling, and changes from then on are left to events.
            _state.Pending[BackfillKey] = new RangeState { Gte = from, Lt = upper };
            _state.Cursor = upper;
            // Objects are read from now on: events of this second or later may not show in them.
            _state.Events = ListensToEvents ? now.ToUnixTimeSeconds() - 1 : null;
            Log.Info($"Backfilling {Stream.Name}", ("created_gte", DateTimeOffset.FromUnixTimeSeconds(from)), ("created_lt", DateTimeOffset.FromUnixTimeSeconds(upper)));
        }
        else
        {
            var pollFrom = Math.Max(cursor - lookback, from);
            if (upper > pollFrom)
            {
                _state.Pending[PollKey] = new RangeState { Gte = pollFrom, Lt = upper };
                _state.Cursor = Math.Max(cursor, upper);
                Log.Debug($"Polling {Stream.Name}", ("created_gte", DateTimeOffset.FromUnixTimeSeconds(pollFrom)), ("created_lt", DateTimeOffset.FromUnixTimeSeconds(upper)));
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="batch"/>'s documents with a checkpoint, after applying <paramref name="change"/>
    /// to the state: the only way the state changes once the capture runs.
    /// </summary>
    private void Commit(Batch batch, Action? change = null)
    {
        lock (_stateLock)
        {
            change?.Invoke();
            _context.Output.Commit(batch.Written, batch.Documents, _binding.StateKey, _state);
            // Finished ranges were written as null (a merge patch deletes them); now forget them.
            foreach (var key in _state.Pending.Where(p => p.Value is null).Select(p => p.Key).ToList())
            {
                _state.Pending.Remove(key);
            }
        }
        batch.Clear();
    }

    /// <summary>Writes a last checkpoint: the binding's state is always what it has committed.</summary>
    public void Flush() => Commit(new Batch());

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Captured lines gathered by one worker until its next commit.</summary>
    private sealed class Batch
    {
        private readonly ArrayBufferWriter<byte> _lines = new(64 * 1024);

        public ReadOnlySpan<byte> Written => _lines.WrittenSpan;

        public int Documents { get; private set; }

        public void Add(int binding, ReadOnlySpan<byte> document, ReadOnlySpan<byte> added)
        {
            DocumentLines.WriteCaptured(_lines, binding, document, added);
            Documents++;
        }

        public void Clear()
        {
            _lines.ResetWrittenCount();
            Documents = 0;
        }
    }
}

/// <summary>A binding of the open request, resolved against the catalog.</summary>
public sealed record BoundStream(int Index, string StateKey, StreamDescriptor Stream, SyncMode Mode, TimeSpan Interval, long Backfill);

/// <summary>What every binding of a capture shares.</summary>
public sealed record CaptureContext(EndpointConfig Config, Stripe.StripeClient Client, CaptureOutput Output, TimeProvider Clock)
{
    /// <summary>Polls stop this far behind now, so objects still becoming visible in lists are read next time.</summary>
    public TimeSpan ListLag { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Pages being read or processed at once, across all bindings: enough to keep Stripe's rate limit
    /// busy at its latency, few enough that memory stays flat (each holds one page).
    /// </summary>
    public SemaphoreSlim Workers { get; init; } = new(32, 32);

    public int MaxWorkers { get; init; } = 32;

    /// <summary>See <see cref="CaptureSession.StopWhenCaughtUp"/>.</summary>
    public bool StopWhenCaughtUp { get; init; }
}
