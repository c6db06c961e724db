using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Stripe;

namespace SourceStripe.Tests.Capture.Core;

/// <summary>A cycle's changed objects are read again at the same time, not one after another.</summary>
public sealed class ParallelEventsTests
{
    /// <summary>
    /// Holds each retrieve request until <see cref="Wanted"/> of them are in flight at once (or a long
    /// deadline passes, which the test then reports as a failure): serial refetches never get there.
    /// While the test changes objects it also holds reads of <c>/v1/events</c>, so that one events cycle
    /// sees every change: a cycle that saw fewer than <see cref="Wanted"/> would wait out the deadline.
    /// </summary>
    private sealed class RetrieveBarrier() : DelegatingHandler(new SocketsHttpHandler())
    {
        public const int Wanted = 4;

        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _eventsOpen = Opened();
        private int _inFlight;
        private int _eventsInFlight;
        private int _most;

        public int Most => Volatile.Read(ref _most);

        /// <summary>Holds new reads of events and waits for those under way to finish; the gate opens when disposed.</summary>
        public async Task<IDisposable> HoldEventsAsync()
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_reached)
            {
                _eventsOpen = gate;
            }
            while (Volatile.Read(ref _eventsInFlight) > 0)
            {
                await Task.Delay(10);
            }
            return new Release(gate);
        }

        private static TaskCompletionSource Opened()
        {
            var open = new TaskCompletionSource();
            open.SetResult();
            return open;
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var segments = request.RequestUri!.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (segments is ["v1", "events"])
            {
                // Counted as under way only once past the gate, under the lock the gate is swapped in.
                while (true)
                {
                    Task gate;
                    lock (_reached)
                    {
                        gate = _eventsOpen.Task;
                        if (gate.IsCompleted)
                        {
                            Interlocked.Increment(ref _eventsInFlight);
                            break;
                        }
                    }
                    await gate.WaitAsync(cancellationToken);
                }
                try
                {
                    return await base.SendAsync(request, cancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref _eventsInFlight);
                }
            }
            if (segments is not ["v1", "customers", _])
            {
                return await base.SendAsync(request, cancellationToken);
            }
            var now = Interlocked.Increment(ref _inFlight);
            lock (_reached)
            {
                _most = Math.Max(_most, now);
            }
            if (now >= Wanted)
            {
                _reached.TrySetResult();
            }
            try
            {
                await Task.WhenAny(_reached.Task, Task.Delay(TimeSpan.FromSeconds(60), cancellationToken));
                return await base.SendAsync(request, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        private sealed class Release(TaskCompletionSource gate) : IDisposable
        {
            public void Dispose() => gate.TrySetResult();
        }
    }

    [Fact]
    public async Task Refetches_of_one_cycle_run_concurrently_through_the_limiter()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 20, CreatedFrom = DateTimeOffset.UtcNow.AddDays(-50), CreatedTo = DateTimeOffset.UtcNow.AddDays(-40) });
        var barrier = new RetrieveBarrier();
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-1), [new("customers", SyncMode: "incremental", Interval: "PT1S")],
            advanced: new JsonObject { ["event_lag_seconds"] = 0, ["event_payloads"] = "refetch" });
        await using var capture = await InProcessCapture.StartAsync(open, clients: config => new StripeClient(config, barrier));
        await capture.WaitUntilAsync(t => t.PendingRanges("customers") == 0);

        var changed = stripe.Account.Objects("customers").Take(8).Select(c => c.Id).ToList();
        using (await barrier.HoldEventsAsync())
        {
            foreach (var id in changed)
            {
                stripe.Update("customers", id, o => o["metadata"] = new JsonObject { ["parallel"] = "yes" });
            }
        }
        await capture.WaitUntilAsync(t => changed.All(id => t.Documents.Any(d => d.Document["id"]!.GetValue<string>() == id && d.Document["metadata"]?["parallel"] is not null)),
            TimeSpan.FromSeconds(120));
        Assert.Equal(0, await capture.StopAsync());
        Assert.True(barrier.Most >= RetrieveBarrier.Wanted, $"at most {barrier.Most} refetches were in flight at once");
    }
}
