using System.Globalization;
using SourceStripe.Capture.Accounts;
using SourceStripe.Capture.Output;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Streams;
using SourceStripe.Stripe;

namespace SourceStripe.Capture.Events;

/// <summary>The unit that reads one page of a cycle's events request.</summary>
public sealed partial class EventsReader
{
    /// <summary>The endpoint every events page of the capture reads (for its account).</summary>
    private static readonly string EventsOperation = RequestEndpoint.OperationOf(StreamCatalog.Events.Path);

    /// <summary>Reads one page of one request's events, queues the request's next page, and applies it.</summary>
    private sealed class EventsPageUnit(EventsReader reader, IReadOnlyList<string> types, long from, long upTo, string? after) : WorkUnit
    {
        public override bool IsBackfill => false;

        public override long Cursor => from;

        public override string What => reader.What;

        public override RequestEndpoint? Endpoint => new(reader.Account.RequestAccount, EventsOperation);

        public override async Task RunAsync(CancellationToken stop)
        {
            try
            {
                if (reader.IsCurrent)
                {
                    await ReadPageAsync(stop).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (reader.Account.Absorbs(null, e))
            {
                reader.Abandon();
            }
            finally
            {
                reader.UnitEnded();
            }
        }

        private async Task ReadPageAsync(CancellationToken stop)
        {
            var cycles = reader.Cycles;
            var fields = cycles.Values.Select(c => c.Binding.Stream.Parent?.Param).OfType<string>().ToHashSet();
            var embedded = cycles.Values.Select(c => c.Binding.Stream.Parent?.Embedded).OfType<string>().ToHashSet();
            List<KeyValuePair<string, string>> query =
            [
                new("limit", "100"),
                new("created[gt]", from.ToString(CultureInfo.InvariantCulture)),
                new("created[lte]", upTo.ToString(CultureInfo.InvariantCulture)),
                .. types.Select(t => KeyValuePair.Create("types[]", t)),
            ];
            if (after is not null)
            {
                query.Add(new("starting_after", after));
            }
            var client = reader.Context.Client;
            var applies = new List<(BindingCycle Cycle, CommitBatch Batch, List<(string Id, ChangeKind Change, string? ParentId)> Refetch, CommitOrder? Order)>();
            using (var page = await client.ListAsync(StripeQuery.ListPath(StreamCatalog.Events, null, [.. query]), "created", null, stop, reader.Account.RequestAccount, waitForRoom: true).ConfigureAwait(false))
            {
                var byBinding = new Dictionary<BindingCycle, List<(PageItem, StripeEvent, bool)>>();
                foreach (var item in page.Items)
                {
                    var e = StripeEvent.Parse(page.Raw(item), fields, embedded);
                    foreach (var (binding, direct) in reader.Routes.For(e.Type))
                    {
                        if (cycles.TryGetValue(binding.Index, out var cycle))
                        {
                            if (!byBinding.TryGetValue(cycle, out var list))
                            {
                                byBinding[cycle] = list = [];
                            }
                            list.Add((item, e, direct));
                        }
                    }
                }
                reader.Counted(page.Items.Count);
                // Sorted in page order, before the next page is: an object's newest event is the one it keeps.
                foreach (var (cycle, events) in byBinding)
                {
                    var batch = cycle.Binding.Context.NewBatch();
                    var order = cycle.Applied is null ? null : new CommitOrder();
                    applies.Add((cycle, batch, EventApplier.Triage(cycle, page.Raw, events, batch, order), order));
                }
                if (page.HasMore && page.Items.Count > 0)
                {
                    reader.PageQueued();
                    reader.Context.Scheduler.Enqueue(new EventsPageUnit(reader, types, from, upTo, page.Items[^1].Id));
                }
            }
            await Task.WhenAll(applies.Select(a => ApplyAsync(a.Cycle, a.Batch, a.Refetch, a.Order, stop))).ConfigureAwait(false);
            reader.PageDone();
        }

        private static async Task ApplyAsync(BindingCycle cycle, CommitBatch batch, List<(string Id, ChangeKind Change, string? ParentId)> refetch, CommitOrder? order, CancellationToken stop)
        {
            try
            {
                await EventApplier.RefetchAsync(cycle.Binding, refetch, batch, stop).ConfigureAwait(false);
                if (order is not null)
                {
                    await order.EarlierCommitted().WaitAsync(stop).ConfigureAwait(false);
                }
                await cycle.Binding.CommitAsync(batch, null, stop).ConfigureAwait(false);
            }
            finally
            {
                order?.Done();
            }
        }
    }

    private CaptureContext Context => context;

    private AccountCapture Account => account;

    private bool IsCurrent
    {
        get { lock (_lock) { return !_abandoned; } }
    }
}
