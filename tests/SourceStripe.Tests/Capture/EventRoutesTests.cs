using SourceStripe.Streams;

namespace SourceStripe.Tests.Capture;

/// <summary>Which events requests a cycle makes and which bindings each event type reaches.</summary>
public sealed class EventRoutesTests
{
    [Fact]
    public void All_bound_streams_need_as_few_events_requests_as_their_types_fill()
    {
        var reader = Routes();
        var all = StreamCatalog.All.SelectMany(s => s.Events.Select(e => e.Type)).Distinct().ToList();
        Assert.Equal(all.Order(), reader.Requests.SelectMany(r => r).Order());
        Assert.All(reader.Requests, r => Assert.InRange(r.Count, 1, 20));
        Assert.Equal((all.Count + 19) / 20, reader.Requests.Count);
    }

    [Fact]
    public void A_type_several_streams_follow_is_read_once_and_reaches_each_of_them()
    {
        var routes = Routes();
        Assert.Single(routes.Requests.SelectMany(r => r), t => t == "customer.source.created");
        Assert.Equal(["bank_accounts", "cards"], routes.For("customer.source.created").Select(b => b.Binding.Stream.Name).Order());
        Assert.All(routes.For("customer.source.created"), b => Assert.True(b.Direct));
    }

    [Fact]
    public void A_child_its_own_events_carry_whole_does_not_follow_its_parents()
    {
        var routes = Routes();
        // payment_methods: relist: false; bank_accounts still lists a customer's sources again on customer events.
        Assert.DoesNotContain(routes.For("customer.updated"), b => b.Binding.Stream.Name == "payment_methods");
        Assert.Contains(routes.For("customer.updated"), b => b.Binding.Stream.Name == "bank_accounts" && !b.Direct);
        Assert.Contains(routes.For("payment_method.detached"), b => b.Binding.Stream.Name == "payment_methods" && b.Direct);
    }

    private static SourceStripe.Capture.Events.EventRoutes Routes() =>
        new(StreamCatalog.All.Select((s, i) => new SourceStripe.Capture.BoundStream(i, s.Name, s,
            s.Supports(SyncMode.Incremental) ? SyncMode.Incremental : SyncMode.FullRefresh, TimeSpan.FromMinutes(5), 0)));
}
