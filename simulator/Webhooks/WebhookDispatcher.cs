using System.Threading.Channels;
using SourceStripe.Simulator.Generation;

namespace SourceStripe.Simulator.Webhooks;

/// <summary>
/// Delivers the events the simulator creates to the matching destinations, as Stripe does: off the caller's thread
/// (a mutation only queues), concurrently and so in no guaranteed order, retried with backoff while the answer is not
/// 2xx. Bounded: <see cref="WebhookOptions.MaxConcurrentDeliveries"/> workers and at most
/// <see cref="WebhookOptions.MaxPendingDeliveries"/> deliveries waiting, each a reference to an event the account
/// holds anyway. Nothing runs until a destination is registered.
/// </summary>
internal sealed partial class WebhookDispatcher : IAsyncDisposable
{
    private readonly WebhookOptions _options;
    private readonly int _seed;
    private readonly Func<DateTimeOffset> _clock;
    private readonly Lock _gate = new();
    private readonly Channel<Delivery> _ready;
    private readonly CancellationTokenSource _stop = new();
    private Registration[] _destinations = [];
    private TaskCompletionSource _resumed = NewGate(open: true);
    private Task[] _running = [];
    private int _pending;
    private bool _accepting;
    private bool _disposed;

    public WebhookDispatcher(WebhookOptions options, int seed, Func<DateTimeOffset> clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _seed = seed;
        _clock = clock;
        _ready = Channel.CreateBounded<Delivery>(new BoundedChannelOptions(options.MaxPendingDeliveries) { SingleWriter = false });
        foreach (var destination in options.Destinations)
        {
            Add(destination);
        }
    }

    public WebhookAttemptLog Log { get; } = new();

    /// <summary>Deliveries queued or waiting for a retry.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>From now on, new events are delivered: those the account was generated with are its past. Nothing
    /// runs before, so that a simulator that fails to start leaves no worker behind.</summary>
    public void Accept()
    {
        lock (_gate)
        {
            Volatile.Write(ref _accepting, true);
            StartOnce();
        }
    }

    public void Add(WebhookDestination destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        destination.Validate();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Volatile.Write(ref _destinations, [.. _destinations, new Registration(destination, _destinations.Length)]);
            StartOnce();
        }
    }

    /// <summary>Stops deliveries to the destination, retries included, as deleting a Stripe endpoint does.</summary>
    public void Remove(WebhookDestination destination)
    {
        lock (_gate)
        {
            var registration = _destinations.FirstOrDefault(r => ReferenceEquals(r.Destination, destination) && !r.Removed)
                ?? throw new ArgumentException("That webhook destination is not registered.", nameof(destination));
            registration.Removed = true;
        }
    }

    /// <summary>Holds every delivery not yet sent until <see cref="Resume"/> (events keep queueing).</summary>
    public void Pause()
    {
        lock (_gate)
        {
            if (_resumed.Task.IsCompleted)
            {
                _resumed = NewGate(open: false);
            }
        }
    }

    public void Resume()
    {
        lock (_gate)
        {
            _resumed.TrySetResult();
        }
    }

    /// <summary>The destinations an event of this type (of a connected account or not) goes to now: its
    /// <c>pending_webhooks</c>.</summary>
    public IReadOnlyList<Registration> Matching(string type, bool fromConnectedAccount)
    {
        if (!Volatile.Read(ref _accepting))
        {
            return [];
        }
        var destinations = Volatile.Read(ref _destinations);
        return destinations.Length == 0 ? [] : [.. destinations.Where(r => !r.Removed && r.Destination.Wants(type, fromConnectedAccount))];
    }

    /// <summary>Queues the event for the destinations <see cref="Matching"/> gave it. Never blocks: called by mutations
    /// under their account's lock.</summary>
    public void Publish(SimulatedObject evt, string? account, IReadOnlyList<Registration> destinations)
    {
        if (Volatile.Read(ref _disposed))
        {
            return;
        }
        foreach (var registration in destinations)
        {
            var first = new Delivery(evt, account, registration, Attempt: 1, Duplicate: false, FirstAttemptAt: default);
            if (Chance("drop", evt.Id, registration.Index) < _options.DropFraction)
            {
                Log.Add(Record(first, WebhookOutcome.Dropped, null, null, null));
                continue;
            }
            Queue(first);
            if (Chance("duplicate", evt.Id, registration.Index) < _options.DuplicateFraction)
            {
                Queue(first with { Duplicate = true });
            }
        }
    }

    private void Queue(Delivery delivery)
    {
        if (Interlocked.Increment(ref _pending) > _options.MaxPendingDeliveries || !_ready.Writer.TryWrite(delivery))
        {
            Interlocked.Decrement(ref _pending);
            Log.Add(Record(delivery, WebhookOutcome.Overflowed, null, null, null));
        }
    }

    /// <summary>A number in [0, 1) from the seed, the event and the destination: the same run drops the same deliveries.</summary>
    private double Chance(string purpose, string eventId, int destination) =>
        Rng.For(_seed, "webhook " + purpose, eventId, destination).NextDouble();

    private WebhookAttempt Record(Delivery delivery, WebhookOutcome outcome, int? status, string? failure, TimeSpan? retryIn) =>
        new(delivery.Event.Id, delivery.Event.EventType ?? "", delivery.Account, delivery.Registration.Destination.Url, delivery.Attempt,
            outcome, status, failure, _options.TimeProvider.GetUtcNow(), delivery.Duplicate, retryIn);

    private void StartOnce()
    {
        if (_running.Length > 0 || !_accepting || _destinations.Length == 0)
        {
            return;
        }
        var workers = Enumerable.Range(0, _options.MaxConcurrentDeliveries).Select(_ => Task.Run(() => DeliverAsync(_stop.Token)));
        _running = [.. workers, Task.Run(() => ScheduleRetriesAsync(_stop.Token))];
    }

    private static TaskCompletionSource NewGate(bool open)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (open)
        {
            gate.SetResult();
        }
        return gate;
    }

    /// <summary>Stops: deliveries in flight are cancelled, queued ones and pending retries forgotten.</summary>
    public async ValueTask DisposeAsync()
    {
        Task[] running;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            running = _running;
        }
        // Outside the lock: cancelling runs the retry loop's continuation, which takes it.
        await _stop.CancelAsync().ConfigureAwait(false);
        _ready.Writer.TryComplete();
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The workers' way out.
        }
        _http.Dispose();
        _stop.Dispose();
    }

    /// <summary>A registered destination; <see cref="Index"/>, its registration order, keys the drop and duplicate draws.</summary>
    internal sealed class Registration(WebhookDestination destination, int index)
    {
        private volatile bool _removed;

        public WebhookDestination Destination { get; } = destination;

        public int Index { get; } = index;

        public bool Removed
        {
            get => _removed;
            set => _removed = value;
        }
    }

    /// <summary>One event to one destination; <see cref="Attempt"/> counts the tries, <see cref="FirstAttemptAt"/> dates
    /// the first for the retry schedule's limit.</summary>
    private sealed record Delivery(SimulatedObject Event, string? Account, Registration Registration, int Attempt, bool Duplicate,
        DateTimeOffset FirstAttemptAt);
}
