using Microsoft.Extensions.Time.Testing;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Stripe;

namespace SourceStripe.Tests.Capture.Core;

public sealed class WorkSchedulerTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    /// <summary>A unit that records when it runs and, when given a gate, waits for it.</summary>
    internal sealed class Probe(string name, bool backfill, long cursor, List<string> log, TaskCompletionSource? gate = null, RequestEndpoint? endpoint = null) : WorkUnit
    {
        public override bool IsBackfill => backfill;

        public override RequestEndpoint? Endpoint => endpoint;

        public override long Cursor => cursor;

        public override string What => name;

        public override async Task RunAsync(CancellationToken stop)
        {
            lock (log)
            {
                log.Add(name);
            }
            if (gate is not null)
            {
                await gate.Task.WaitAsync(stop);
            }
        }
    }

    [Fact]
    public async Task Runs_at_most_its_cap_at_once_and_every_unit_once()
    {
        var scheduler = new WorkScheduler(TimeProvider.System, maxConcurrency: 3);
        var gate = new TaskCompletionSource();
        var running = 0;
        var most = 0;
        var ran = 0;
        for (var i = 0; i < 10; i++)
        {
            scheduler.Enqueue(new DelegateUnit($"unit {i}", false, 0, async stop =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                await gate.Task.WaitAsync(stop);
                Interlocked.Decrement(ref running);
                Interlocked.Increment(ref ran);
            }));
        }
        var run = scheduler.RunAsync(CancellationToken.None);
        await Until(() => Volatile.Read(ref running) == 3);
        gate.SetResult();
        await run.WaitAsync(Generous);
        Assert.Equal(3, most);
        Assert.Equal(10, ran);
        Assert.Null(scheduler.Failure);
    }

    [Fact]
    public async Task Unfinished_backfills_go_first_then_the_oldest_cursor()
    {
        var scheduler = new WorkScheduler(TimeProvider.System, maxConcurrency: 1);
        var log = new List<string>();
        var gate = new TaskCompletionSource();
        scheduler.Enqueue(new Probe("first", false, 0, log, gate));
        var run = scheduler.RunAsync(CancellationToken.None);
        await Until(() => { lock (log) { return log.Count == 1; } });
        // Queued while the one slot is taken: they run in priority order, not arrival order.
        scheduler.Enqueue(new Probe("poll from 50", false, 50, log));
        scheduler.Enqueue(new Probe("backfill a", true, 0, log));
        scheduler.Enqueue(new Probe("poll from 10", false, 10, log));
        scheduler.Enqueue(new Probe("backfill b", true, 0, log));
        gate.SetResult();
        await run.WaitAsync(Generous);
        Assert.Equal(["first", "backfill a", "backfill b", "poll from 10", "poll from 50"], log);
    }

    [Fact]
    public async Task A_failed_unit_cancels_the_others_and_none_outlives_the_run()
    {
        var scheduler = new WorkScheduler(TimeProvider.System);
        var waiting = new TaskCompletionSource();
        var windingDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var mayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = false;
        scheduler.Enqueue(new DelegateUnit("waits", false, 0, async stop =>
        {
            waiting.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, stop);
            }
            finally
            {
                // Slow to wind down, until the test has seen the run still waiting for it.
                windingDown.SetResult();
                await mayEnd.Task;
                ended = true;
            }
        }));
        scheduler.Enqueue(new DelegateUnit("fails", false, 0, async _ =>
        {
            await waiting.Task;
            throw new InvalidOperationException("boom");
        }));
        var run = scheduler.RunAsync(CancellationToken.None);
        await windingDown.Task.WaitAsync(Generous);
        Assert.False(run.IsCompleted);
        mayEnd.SetResult();
        await run.WaitAsync(Generous);
        Assert.True(ended);
        Assert.Equal("fails", scheduler.Failure?.What);
        Assert.IsType<InvalidOperationException>(scheduler.Failure?.Error);
    }

    [Fact]
    public async Task A_timed_unit_waits_for_its_time_and_idle_work_fills_free_slots()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20000));
        var scheduler = new WorkScheduler(clock, maxConcurrency: 2);
        var log = new List<string>();
        scheduler.EnqueueAt(clock.GetUtcNow().AddMinutes(5), new Probe("timed", false, 0, log));
        var extra = 2;
        scheduler.IdleWork = _ => extra-- > 0 ? new Probe($"idle {extra}", true, 0, log) : null;
        var stop = new CancellationTokenSource();
        var run = scheduler.RunAsync(stop.Token);
        await Until(() => { lock (log) { return log.Count == 2; } });
        Assert.Equal(["idle 1", "idle 0"], log.Order().Reverse());
        clock.Advance(TimeSpan.FromMinutes(5));
        await Until(() => { lock (log) { return log.Contains("timed"); } });
        scheduler.OnIdle = () => false;
        await run.WaitAsync(Generous);
    }

    [Fact]
    public async Task Units_of_an_endpoint_without_room_wait_in_order_while_other_endpoints_start()
    {
        var charges = RequestEndpoint.Of(null, "/v1/charges");
        var customers = RequestEndpoint.Of(null, "/v1/customers");
        var scheduler = new WorkScheduler(TimeProvider.System, maxConcurrency: 6) { EndpointCapacity = e => e == charges ? 2 : 3 };
        var log = new List<string>();
        var gates = Enumerable.Range(0, 5).Select(_ => new TaskCompletionSource()).ToList();
        // Backfills of charges come first in the line; the customers' units come after all of them.
        for (var i = 0; i < 5; i++)
        {
            scheduler.Enqueue(new Probe($"charges {i}", true, 0, log, gates[i], charges));
        }
        var customersGate = new TaskCompletionSource();
        for (var i = 0; i < 2; i++)
        {
            scheduler.Enqueue(new Probe($"customers {i}", false, 0, log, customersGate, customers));
        }
        var asked = new List<(bool Charges, bool Customers)>();
        scheduler.IdleWork = hasRoom =>
        {
            lock (log)
            {
                asked.Add((hasRoom(charges), hasRoom(customers)));
            }
            return null;
        };
        using var stop = new CancellationTokenSource();
        var run = scheduler.RunAsync(stop.Token);
        await Until(() => { lock (log) { return log.Count == 4; } });
        lock (log)
        {
            // Two charges (its room), both customers, and the idle work told that only customers has room left.
            Assert.Equal(["charges 0", "charges 1", "customers 0", "customers 1"], log.Order());
            Assert.Contains((false, true), asked);
            Assert.DoesNotContain(asked, a => a.Charges);
        }
        // As each charges unit ends, the next set aside starts, in order.
        for (var i = 0; i < 3; i++)
        {
            gates[i].SetResult();
            var expected = 5 + i;
            await Until(() => { lock (log) { return log.Count == expected; } });
            lock (log)
            {
                Assert.Equal($"charges {i + 2}", log[^1]);
            }
        }
        gates.ForEach(g => g.TrySetResult());
        customersGate.SetResult();
        scheduler.OnIdle = () => false;
        await run.WaitAsync(Generous);
        Assert.Null(scheduler.Failure);
    }

    [Fact]
    public async Task Stopping_ends_the_run_with_its_timers()
    {
        var scheduler = new WorkScheduler(TimeProvider.System);
        scheduler.EnqueueAt(DateTimeOffset.UtcNow.AddDays(1), new DelegateUnit("tomorrow", false, 0, _ => Task.CompletedTask));
        using var stop = new CancellationTokenSource();
        var run = scheduler.RunAsync(stop.Token);
        await stop.CancelAsync();
        await run.WaitAsync(Generous);
        Assert.Null(scheduler.Failure);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    internal static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the condition");
            await Task.Delay(10);
        }
    }
}
