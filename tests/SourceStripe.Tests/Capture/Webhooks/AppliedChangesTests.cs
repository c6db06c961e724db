using SourceStripe.Capture.Events;

namespace SourceStripe.Tests.Capture.Webhooks;

/// <summary>What deliveries and polls make of an event, given the changes applied before it.</summary>
// Its memory figure is the heap's growth: run alone, as the account memory test is, or other tests' allocations count.
[Collection(nameof(SourceStripe.Tests.Capture.Accounts.AccountMemoryTests))]
public sealed class AppliedChangesTests
{
    private const long Now = 1_800_000_000;

    [Fact]
    public void A_repeat_or_an_older_event_is_skipped_and_one_of_the_same_second_is_read_again()
    {
        var applied = new AppliedChanges();
        Assert.Equal(ChangeVerdict.Apply, applied.Record(0, "cus_1", "evt_b", Now, long.MinValue, new CommitOrder()));
        Assert.Equal(ChangeVerdict.Skip, applied.Record(0, "cus_1", "evt_b", Now, long.MinValue, new CommitOrder()));
        Assert.Equal(ChangeVerdict.Skip, applied.Record(0, "cus_1", "evt_a", Now - 1, long.MinValue, new CommitOrder()));
        Assert.Equal(ChangeVerdict.Refetch, applied.Record(0, "cus_1", "evt_c", Now, long.MinValue, new CommitOrder()));
        Assert.Equal(ChangeVerdict.Apply, applied.Record(0, "cus_1", "evt_d", Now + 1, long.MinValue, new CommitOrder()));
        // Another binding's record of the same object is its own.
        Assert.Equal(ChangeVerdict.Apply, applied.Record(1, "cus_1", "evt_b", Now, long.MinValue, new CommitOrder()));
    }

    [Fact]
    public void A_delivery_no_newer_than_the_polled_events_is_read_again_unless_its_object_is_remembered()
    {
        var applied = new AppliedChanges();
        Assert.Equal(ChangeVerdict.Refetch, applied.Record(0, "cus_1", "evt_a", Now, polledUpTo: Now, new CommitOrder()));
        Assert.Equal(ChangeVerdict.Apply, applied.Record(0, "cus_2", "evt_b", Now + 1, polledUpTo: Now, new CommitOrder()));
        Assert.Equal(ChangeVerdict.Apply, applied.Record(0, "cus_1", "evt_c", Now + 1, polledUpTo: Now + 5, new CommitOrder()));
    }

    [Fact]
    public void The_oldest_objects_are_forgotten_first()
    {
        var applied = new AppliedChanges(capacity: 2);
        applied.Record(0, "cus_1", "evt_1", Now, long.MinValue, new CommitOrder());
        applied.Record(0, "cus_2", "evt_2", Now, long.MinValue, new CommitOrder());
        applied.Record(0, "cus_3", "evt_3", Now, long.MinValue, new CommitOrder());
        Assert.Equal(ChangeVerdict.Skip, applied.Record(0, "cus_3", "evt_3", Now, long.MinValue, new CommitOrder()));
        Assert.Equal(ChangeVerdict.Apply, applied.Record(0, "cus_1", "evt_1", Now, long.MinValue, new CommitOrder()));
    }

    [Fact]
    public async Task A_newer_change_commits_only_after_an_earlier_one_to_the_same_object()
    {
        var applied = new AppliedChanges();
        var earlier = new CommitOrder();
        var later = new CommitOrder();
        var unrelated = new CommitOrder();
        applied.Record(0, "cus_1", "evt_a", Now, long.MinValue, earlier);
        applied.Record(0, "cus_1", "evt_b", Now + 1, long.MinValue, later);
        applied.Record(0, "cus_2", "evt_c", Now + 1, long.MinValue, unrelated);

        Assert.True(unrelated.EarlierCommitted().IsCompleted);
        var waiting = later.EarlierCommitted();
        Assert.False(waiting.IsCompleted);
        earlier.Done();
        await waiting;
    }

    [Fact]
    public void A_full_record_holds_about_three_megabytes()
    {
        var applied = new AppliedChanges();
        // Ids as Stripe's (cus_ and 14 characters, evt_ and 24), each a string of its own as parsed from an event, and
        // one application each, as deliveries are.
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < applied.Capacity; i++)
        {
            var order = new CommitOrder();
            applied.Record(0, $"cus_{i:D14}", $"evt_{i:D24}", Now + i, long.MinValue, order);
            order.Done();
        }
        var held = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(applied);
        Assert.InRange(held, 1 << 20, 4 << 20);
    }
}
