using System.Text;
using SourceStripe.Capture.Output;
using SourceStripe.Protocol;

namespace SourceStripe.Tests.Protocol;

/// <summary>The runtime's acknowledgements, read from stdin and counted for whoever waits for a checkpoint.</summary>
public sealed class AcknowledgementTests
{
    [Theory]
    [InlineData("""{"acknowledge":{"checkpoints":3}}""", 3L)]
    [InlineData("""{"acknowledge":{"checkpoints":"12"}}""", 12L)]
    [InlineData("""{"acknowledge":{}}""", 0L)]
    [InlineData("""{"acknowledge":{"checkpoints":-1}}""", null)]
    [InlineData("""{"open":{}}""", null)]
    [InlineData("""{"acknowledge":""", null)]
    public void An_acknowledge_line_gives_its_count_of_checkpoints(string line, long? expected) =>
        Assert.Equal(expected, RuntimeInput.Acknowledged(line));

    [Fact]
    public async Task Stdin_hands_each_acknowledgement_on_and_ends_when_it_closes()
    {
        var stdin = new StringReader("""{"acknowledge":{"checkpoints":2}}""" + "\n\n" + """{"acknowledge":{"checkpoints":1}}""" + "\n");
        var counts = new List<long>();
        Assert.Null(await new RuntimeInput(stdin).ReadAsync(counts.Add, CancellationToken.None));
        Assert.Equal([2L, 1L], counts);
    }

    [Fact]
    public async Task A_checkpoint_is_waited_for_until_the_acknowledgements_reach_it()
    {
        var acknowledgements = new Acknowledgements();
        var third = acknowledgements.WhenAcknowledged(3);
        var first = acknowledgements.WhenAcknowledged(1);
        acknowledgements.Acknowledge(2);
        await first;
        Assert.False(third.IsCompleted);
        acknowledgements.Acknowledge(1);
        await third;
        Assert.True(acknowledgements.WhenAcknowledged(2).IsCompleted);
    }

    [Fact]
    public async Task Waits_end_cancelled_when_the_capture_ends()
    {
        var acknowledgements = new Acknowledgements();
        var waiting = acknowledgements.WhenAcknowledged(1);
        acknowledgements.End();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => acknowledgements.WhenAcknowledged(5));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Opened_asks_for_acknowledgements_only_when_told(bool explicitAcknowledgements)
    {
        using var stdout = new MemoryStream();
        new ProtocolCaptureSink(new ProtocolOutput(stdout), explicitAcknowledgements).Opened();
        var expected = explicitAcknowledgements ? """{"opened":{"explicitAcknowledgements":true}}""" : """{"opened":{"explicitAcknowledgements":false}}""";
        Assert.Equal(expected + "\n", Encoding.UTF8.GetString(stdout.ToArray()));
    }
}
