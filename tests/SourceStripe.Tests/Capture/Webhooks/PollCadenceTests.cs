using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using SourceStripe.Capture.Events;
using SourceStripe.Config;

namespace SourceStripe.Tests.Capture.Webhooks;

/// <summary>Events are polled less often while webhooks arrive, and as often as before once they stop.</summary>
public sealed class PollCadenceTests
{
    private static readonly TimeSpan Normal = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan WhileArriving = TimeSpan.FromMinutes(15);

    [Fact]
    public void The_interval_is_the_longer_one_while_webhooks_arrive_and_the_normal_one_once_they_stop()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var webhooks = new WebhookActivity(clock, WhileArriving);
        Assert.Equal(Normal, webhooks.EventsInterval(Normal));

        webhooks.Delivered();
        Assert.Equal(WhileArriving, webhooks.EventsInterval(Normal));
        clock.Advance(WhileArriving - TimeSpan.FromSeconds(1));
        Assert.Equal(WhileArriving, webhooks.EventsInterval(Normal));
        webhooks.Delivered();
        clock.Advance(WhileArriving - TimeSpan.FromSeconds(1));
        Assert.Equal(WhileArriving, webhooks.EventsInterval(Normal));

        // None for the whole longer interval: they stopped.
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(webhooks.Arriving);
        Assert.Equal(Normal, webhooks.EventsInterval(Normal));
    }

    [Fact]
    public void Bindings_polled_less_often_than_the_setting_keep_their_interval()
    {
        var webhooks = new WebhookActivity(new FakeTimeProvider(DateTimeOffset.UtcNow), WhileArriving);
        webhooks.Delivered();
        Assert.Equal(TimeSpan.FromHours(1), webhooks.EventsInterval(TimeSpan.FromHours(1)));
    }

    [Theory]
    [InlineData(null, 15 * 60)]
    [InlineData("\"PT1H\"", 3600)]
    [InlineData("\"PT30S\"", 30)]
    public void The_setting_is_an_ISO_8601_duration_defaulting_to_15_minutes(string? value, int seconds)
    {
        var advanced = value is null ? "{}" : $$"""{"events_interval_with_webhooks":{{value}}}""";
        var problems = new ConfigProblems();
        var config = EndpointConfig.Parse(Config(advanced), problems, DateTimeOffset.UtcNow);
        Assert.False(problems.Any, problems.Summary("configuration"));
        Assert.Equal(TimeSpan.FromSeconds(seconds), config!.Advanced.EventsIntervalWithWebhooks);
    }

    [Theory]
    [InlineData("\"15 minutes\"")]
    [InlineData("\"PT0S\"")]
    [InlineData("900")]
    public void A_setting_that_is_not_a_positive_duration_is_refused(string value)
    {
        var problems = new ConfigProblems();
        Assert.Null(EndpointConfig.Parse(Config($$"""{"events_interval_with_webhooks":{{value}}}"""), problems, DateTimeOffset.UtcNow));
        Assert.Contains("config.advanced.events_interval_with_webhooks", problems.Summary("configuration"), StringComparison.Ordinal);
    }

    private static JsonElement Config(string advanced) => JsonDocument.Parse($$"""
        {"account_id":"acct_1","client_secret":"sk_test_cadence","start_date":"2020-01-01T00:00:00Z","advanced":{{advanced}}}
        """).RootElement;
}
