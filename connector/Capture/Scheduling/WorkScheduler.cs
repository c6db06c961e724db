using SourceStripe.Logging;
using SourceStripe.Stripe;

namespace SourceStripe.Capture.Scheduling;

/// <summary>
/// Runs a capture's units of work, at most <see cref="MaxConcurrency"/> at once (every request they make
/// also waits on the one rate limiter), most urgent first: unfinished backfills, then the oldest cursor.
/// A unit starts only while its endpoint has room (<see cref="EndpointCapacity"/>): units of an endpoint
/// already running as many as its budget keeps busy are set aside, in order, until one of them ends, so
/// that the key's budget is spread over endpoints instead of every slot queueing behind a full one.
/// Timed units wait for their time (a binding's interval). When a slot is free and nothing waits,
/// <see cref="IdleWork"/> may add more (a backfill range split in two). The run ends when stopped, when a
/// unit fails (after the others have been cancelled and have ended), or when nothing is left and
/// <see cref="OnIdle"/> says so. No unit or timer outlives <see cref="RunAsync"/>.
/// </summary>
public sealed class WorkScheduler(TimeProvider clock, int maxConcurrency = 32)
{
    private readonly Lock _gate = new();
    private readonly PriorityQueue<WorkUnit, (int Class, long Cursor, long Sequence)> _ready = new();
    /// <summary>Units whose endpoint had no room when their turn came, per endpoint, in the order they were ready.</summary>
    private readonly Dictionary<RequestEndpoint, PriorityQueue<WorkUnit, (int Class, long Cursor, long Sequence)>> _parked = [];
    private readonly Dictionary<RequestEndpoint, int> _running = [];
    private readonly PriorityQueue<WorkUnit, (DateTimeOffset Due, long Sequence)> _timed = new();
    private readonly List<Task> _tasks = [];
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sequence;
    private int _active;
    private (string What, Exception Error)? _failure;

    public int MaxConcurrency => maxConcurrency;

    /// <summary>
    /// Enough units to keep the limiter's queue from running dry at <paramref name="requestsPerSecond"/>:
    /// a unit waits for Stripe's answer (250 ms median, a mean near 300 ms, a tail to 800 ms and more) and
    /// reads the page before it asks again, so by Little's law 100 requests/s keep about 30 units busy on
    /// average and, in the tail, many more. With fewer, slots opened while every unit was waiting for an
    /// answer and the key's limit went unused. Units beyond those answering only wait on the limiter,
    /// holding no page; the cap bounds what a high limit (or none) would otherwise hold in flight.
    /// </summary>
    public static int SlotsFor(double requestsPerSecond) =>
        Math.Clamp((int)Math.Ceiling(requestsPerSecond * 0.6), 32, 64);

    /// <summary>
    /// Asked for one more unit whenever a slot is free and none waits, with what tells whether an endpoint has
    /// room for one more unit; null when there is none for an endpoint with room.
    /// </summary>
    public Func<Predicate<RequestEndpoint>, WorkUnit?>? IdleWork { get; set; }

    /// <summary>How many units of an endpoint may run at once: as many as keep its budget busy. Unbounded when null.</summary>
    public Func<RequestEndpoint, int>? EndpointCapacity { get; set; }

    /// <summary>Asked when nothing runs, waits or is timed: true to go on (after adding units), false to end the run.</summary>
    public Func<bool>? OnIdle { get; set; }

    /// <summary>
    /// Asked before each unit starts: false while the capture holds as many bytes as it may (its buffers
    /// are full of pages and lines stdout has not taken yet), so running units finish and no new ones
    /// start until <see cref="Wake"/> says room was freed.
    /// </summary>
    public Func<bool>? HasRoom { get; set; }

    /// <summary>Looks again at what may start (room was freed).</summary>
    public void Wake()
    {
        lock (_gate)
        {
            _wake.TrySetResult();
        }
    }

    /// <summary>The first unit that failed, and how.</summary>
    public (string What, Exception Error)? Failure
    {
        get { lock (_gate) { return _failure; } }
    }

    public void Enqueue(WorkUnit unit)
    {
        lock (_gate)
        {
            Ready(unit);
            _wake.TrySetResult();
        }
    }

    /// <summary>Queues <paramref name="unit"/> once the clock reaches <paramref name="due"/>.</summary>
    public void EnqueueAt(DateTimeOffset due, WorkUnit unit)
    {
        lock (_gate)
        {
            _timed.Enqueue(unit, (due, _sequence++));
            _wake.TrySetResult();
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        using var units = CancellationTokenSource.CreateLinkedTokenSource(stop);
        try
        {
            while (!units.IsCancellationRequested)
            {
                TimeSpan? untilTimed;
                Task wake;
                bool idle;
                lock (_gate)
                {
                    if (_failure is not null)
                    {
                        break;
                    }
                    if (_wake.Task.IsCompleted)
                    {
                        _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                    wake = _wake.Task;
                    untilTimed = StartDue(units.Token);
                    idle = _active == 0 && _ready.Count == 0 && _parked.Count == 0 && untilTimed is null;
                }
                if (idle)
                {
                    if (OnIdle?.Invoke() != true)
                    {
                        return;
                    }
                    continue;
                }
                if (untilTimed is { } wait)
                {
                    using var timer = CancellationTokenSource.CreateLinkedTokenSource(units.Token);
                    await Task.WhenAny(wake, Task.Delay(wait, clock, timer.Token)).ConfigureAwait(false);
                    await timer.CancelAsync().ConfigureAwait(false);
                }
                else
                {
                    await wake.WaitAsync(units.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        finally
        {
            await units.CancelAsync().ConfigureAwait(false);
            Task[] tasks;
            lock (_gate)
            {
                tasks = [.. _tasks];
            }
            // Units end on that cancellation: wait for them so none outlives the capture.
            await Task.WhenAll(tasks).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Queues due units and starts units while slots are free; returns the wait until the next timed one. Holds the lock.</summary>
    private TimeSpan? StartDue(CancellationToken stop)
    {
        var now = clock.GetUtcNow();
        while (_timed.TryPeek(out var timed, out var at) && at.Due <= now)
        {
            _timed.Dequeue();
            Ready(timed);
        }
        _tasks.RemoveAll(t => t.IsCompleted);
        Unpark();
        while (_active < maxConcurrency && HasRoom?.Invoke() != false)
        {
            WorkUnit? unit;
            if (_ready.TryDequeue(out var next, out var priority))
            {
                if (next.Endpoint is { } endpoint && !HasEndpointRoom(endpoint))
                {
                    Park(endpoint, next, priority);
                    continue;
                }
                unit = next;
            }
            else
            {
                unit = IdleWork?.Invoke(HasEndpointRoom);
            }
            if (unit is null)
            {
                break;
            }
            _active++;
            if (unit.Endpoint is { } started)
            {
                _running[started] = _running.GetValueOrDefault(started) + 1;
            }
            _tasks.Add(RunUnitAsync(unit, stop));
        }
        return _timed.TryPeek(out _, out var first) ? first.Due - now : null;
    }

    private void Ready(WorkUnit unit) => _ready.Enqueue(unit, (unit.IsBackfill ? 0 : 1, unit.Cursor, _sequence++));

    /// <summary>Whether one more unit of <paramref name="endpoint"/> would be sent without waiting behind its own. Holds the lock.</summary>
    private bool HasEndpointRoom(RequestEndpoint endpoint) =>
        EndpointCapacity is not { } capacity || _running.GetValueOrDefault(endpoint) < capacity(endpoint);

    private void Park(RequestEndpoint endpoint, WorkUnit unit, (int, long, long) priority)
    {
        if (!_parked.TryGetValue(endpoint, out var parked))
        {
            _parked[endpoint] = parked = new();
        }
        parked.Enqueue(unit, priority);
    }

    /// <summary>Puts back in line, in their order, as many set-aside units as their endpoints now have room for. Holds the lock.</summary>
    private void Unpark()
    {
        if (_parked.Count == 0)
        {
            return;
        }
        foreach (var (endpoint, parked) in _parked.ToList())
        {
            var room = (EndpointCapacity?.Invoke(endpoint) ?? int.MaxValue) - _running.GetValueOrDefault(endpoint);
            for (; room > 0 && parked.TryDequeue(out var unit, out var priority); room--)
            {
                _ready.Enqueue(unit, priority);
            }
            if (parked.Count == 0)
            {
                _parked.Remove(endpoint);
            }
        }
    }

    private async Task RunUnitAsync(WorkUnit unit, CancellationToken stop)
    {
        await Task.Yield();
        try
        {
            await unit.RunAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Log.Debug($"Capturing {unit.What} failed", ("exception", e.ToString()));
            lock (_gate)
            {
                _failure ??= (unit.What, e);
            }
        }
        finally
        {
            lock (_gate)
            {
                _active--;
                if (unit.Endpoint is { } endpoint && --_running[endpoint] == 0)
                {
                    _running.Remove(endpoint);
                }
                _wake.TrySetResult();
            }
        }
    }
}
