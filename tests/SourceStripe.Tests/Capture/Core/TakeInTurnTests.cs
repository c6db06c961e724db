using SourceStripe.Capture.Scheduling;

namespace SourceStripe.Tests.Capture.Core;

/// <summary>Idle capacity goes to the accounts with a range to split in turn, however large one of them is.</summary>
public sealed class TakeInTurnTests
{
    private sealed class Account(string name, int splits)
    {
        public string Name => name;

        public int Splits { get; set; } = splits;
    }

    [Fact]
    public void A_huge_account_and_small_ones_take_the_shares_in_turn()
    {
        var huge = new Account("huge", 100);
        var small = Enumerable.Range(1, 3).Select(i => new Account($"small{i}", 2)).ToList();
        var turns = new TakeInTurn<Account>();
        turns.Add(huge);
        small.ForEach(turns.Add);

        var order = new List<string>();
        while (turns.Next(a => a.Splits-- > 0 ? a.Name : null) is { } taken && order.Count < 12)
        {
            order.Add(taken);
        }

        Assert.Equal(["huge", "small1", "small2", "small3", "huge", "small1", "small2", "small3", "huge", "huge", "huge", "huge"], order);
    }

    [Fact]
    public void An_item_is_in_line_once_and_one_that_had_nothing_comes_back_when_added_again()
    {
        var turns = new TakeInTurn<Account>();
        var one = new Account("one", 0);
        turns.Add(one);
        turns.Add(one);
        Assert.Null(turns.Next(a => a.Splits-- > 0 ? a.Name : null));
        Assert.Null(turns.Next(a => a.Name));

        one.Splits = 1;
        turns.Add(one);
        Assert.Equal("one", turns.Next(a => a.Splits-- > 0 ? a.Name : null));
    }
}
