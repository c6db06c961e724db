using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using SourceStripe.Simulator;
using SourceStripe.Simulator.Webhooks;

namespace SourceStripe.Tests.Simulator;

/// <summary>
/// The simulator delivers webhooks as Stripe documents them, to a Kestrel receiver on loopback: signed per secret at
/// the simulator's "now", the body exactly as <c>GET /v1/events/{id}</c> renders it, retried with backoff until 2xx,
/// Connect events only to Connect destinations. Tests wait on the attempt log or the receiver, never on time; retries
/// and timeouts run on a fake TimeProvider the tests advance.
/// </summary>
public sealed class WebhookDeliveryTests
{
    internal const string SecretA = "whsec_test_rolled_out";
    private const string SecretB = "whsec_test_rolled_in";

    private static readonly DateTimeOffset Now = ConnectedHttp.Now;

    internal static CancellationToken Patience => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    internal static SimulatorOptions Options(WebhookOptions? webhooks = null, int accounts = 0) =>
        ConnectedHttp.Options(accounts) with { Webhooks = webhooks ?? new WebhookOptions() };

    [Fact]
    public async Task Each_secret_signs_the_body_at_the_simulator_clock_and_the_body_is_the_event_as_retrieved()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var stripe = await StripeSimulator.StartAsync(Options());
        stripe.AddWebhookDestination(new WebhookDestination { Url = receiver.Url("/stripe"), Secrets = [SecretA, SecretB] });

        stripe.Create("customers", c => c["email"] = "signed@example.com");
        await stripe.WebhookAttempts.WaitForDeliveredAsync(1, Patience);

        var hook = Assert.Single(receiver.Received);
        Assert.Equal("application/json; charset=utf-8", hook.ContentType);
        Assert.Equal("Stripe/1.0 (+https://stripe.com/docs/webhooks)", hook.UserAgent);
        var parts = hook.Signature!.Split(',');
        Assert.Equal($"t={Now.ToUnixTimeSeconds()}", parts[0]);
        Assert.Equal([$"v1={Hmac(SecretA, Now.ToUnixTimeSeconds(), hook.Body)}", $"v1={Hmac(SecretB, Now.ToUnixTimeSeconds(), hook.Body)}"], parts[1..]);
        Assert.NotEqual(Hmac("whsec_other", Now.ToUnixTimeSeconds(), hook.Body), parts[1][3..]);

        var evt = stripe.Account.Events.First(e => e.EventType == "customer.created");
        Assert.Equal(evt.Id, hook.EventId);
        Assert.Equal(await Retrieve(stripe, evt.Id), hook.Body);
        Assert.Equal(1, hook.Json.GetProperty("pending_webhooks").GetInt32());
        Assert.Equal("signed@example.com", hook.Json.GetProperty("data").GetProperty("object").GetProperty("email").GetString());
    }

    [Fact]
    public async Task Answers_other_than_2xx_are_retried_with_exponential_backoff_and_stop_at_the_first_2xx()
    {
        var time = new FakeTimeProvider(Now);
        var answers = new Queue<int>([500, 302, 404, 204]);
        await using var receiver = await WebhookReceiver.StartAsync(_ => Task.FromResult(answers.Dequeue()));
        var retry = new WebhookRetry { FirstDelay = TimeSpan.FromMilliseconds(100) };
        await using var stripe = await StripeSimulator.StartAsync(Options(new WebhookOptions { Retry = retry, TimeProvider = time }));
        stripe.AddWebhookDestination(new WebhookDestination { Url = receiver.Url("/"), Secrets = [SecretA] });

        stripe.Create("products");
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var log = await stripe.WebhookAttempts.WaitForAsync(_ => true, attempt, Patience);
            time.Advance(log[^1].RetryIn!.Value);
        }
        var attempts = await stripe.WebhookAttempts.WaitForDeliveredAsync(1, Patience);

        Assert.Equal([1, 2, 3, 4], attempts.Select(a => a.Attempt));
        Assert.Equal([500, 302, 404, 204], attempts.Select(a => a.StatusCode!.Value));
        Assert.Equal([WebhookOutcome.Rejected, WebhookOutcome.Rejected, WebhookOutcome.Rejected, WebhookOutcome.Delivered], attempts.Select(a => a.Outcome));
        Assert.Equal([100, 200, 400], attempts.Take(3).Select(a => a.RetryIn!.Value.TotalMilliseconds));
        Assert.Null(attempts[3].RetryIn);
        // Each retry waited its delay (the fake clock moves only when the test advances it).
        Assert.Equal([100, 200, 400], attempts.Zip(attempts.Skip(1), (a, b) => (b.At - a.At).TotalMilliseconds));
        Assert.Single(attempts.Select(a => a.EventId).Distinct());

        // Three days later nothing more has been tried: the 2xx ended the delivery.
        time.Advance(TimeSpan.FromDays(3));
        Assert.Equal(0, stripe.PendingWebhooks);
        Assert.Equal(4, stripe.WebhookAttempts.Snapshot().Count);
        Assert.Equal(4, receiver.Received.Count);
    }

    [Fact]
    public async Task The_live_schedule_retries_for_up_to_three_days_then_gives_up()
    {
        var time = new FakeTimeProvider(Now);
        await using var receiver = await WebhookReceiver.StartAsync(_ => Task.FromResult(503));
        await using var stripe = await StripeSimulator.StartAsync(Options(new WebhookOptions { TimeProvider = time }));
        stripe.AddWebhookDestination(new WebhookDestination { Url = receiver.Url("/"), Secrets = [SecretA] });

        stripe.Create("coupons");
        IReadOnlyList<WebhookAttempt> log;
        for (var attempt = 1; ; attempt++)
        {
            log = await stripe.WebhookAttempts.WaitForAsync(_ => true, attempt, Patience);
            if (log[^1].RetryIn is not { } wait)
            {
                break;
            }
            time.Advance(wait);
        }

        Assert.All(log, a => Assert.Equal(WebhookOutcome.Rejected, a.Outcome));
        Assert.Equal(13, log.Count);
        Assert.Equal(TimeSpan.FromMinutes(1), log[0].RetryIn);
        Assert.True(log[^1].At - log[0].At <= TimeSpan.FromDays(3));
        Assert.True(log[^1].At - log[0].At > TimeSpan.FromDays(2));
        Assert.Equal(0, stripe.PendingWebhooks);
    }

    [Fact]
    public async Task No_answer_within_the_timeout_is_a_failed_delivery_retried_later()
    {
        var time = new FakeTimeProvider(Now);
        var hold = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = true;
        await using var receiver = await WebhookReceiver.StartAsync(_ =>
        {
            var answer = first ? hold.Task : Task.FromResult(200);
            first = false;
            return answer;
        });
        var options = new WebhookOptions { TimeProvider = time, Timeout = TimeSpan.FromSeconds(20), Retry = WebhookRetry.Fast };
        await using var stripe = await StripeSimulator.StartAsync(Options(options));
        stripe.AddWebhookDestination(new WebhookDestination { Url = receiver.Url("/"), Secrets = [SecretA] });

        stripe.Create("customers");
        await receiver.Arrivals.ReadAsync(Patience);
        time.Advance(TimeSpan.FromSeconds(20));
        var log = await stripe.WebhookAttempts.WaitForAsync(_ => true, 1, Patience);
        hold.SetResult(200);
        time.Advance(log[0].RetryIn!.Value);
        log = await stripe.WebhookAttempts.WaitForDeliveredAsync(1, Patience);

        Assert.Equal(WebhookOutcome.TimedOut, log[0].Outcome);
        Assert.Null(log[0].StatusCode);
        Assert.Equal((2, WebhookOutcome.Delivered), (log[1].Attempt, log[1].Outcome));
    }

    [Fact]
    public async Task Connected_accounts_events_go_only_to_Connect_destinations_and_carry_their_account()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var platform = new WebhookDestination { Url = receiver.Url("/platform"), Secrets = [SecretA] };
        var connect = new WebhookDestination { Url = receiver.Url("/connect"), Secrets = [SecretB], Connect = true };
        var onlyCreations = new WebhookDestination { Url = receiver.Url("/created"), Secrets = [SecretA], EnabledEvents = ["customer.created"] };
        await using var stripe = await StripeSimulator.StartAsync(Options(new WebhookOptions { Destinations = [platform, connect, onlyCreations] }, accounts: 2));
        // The two accounts connected before start announced it in the past: nothing of it is delivered.
        Assert.Equal(0, stripe.PendingWebhooks);
        Assert.Empty(stripe.WebhookAttempts.Snapshot());

        var connected = stripe.ConnectedAccountIds[1];
        var customer = stripe.Create("customers");
        stripe.Update("customers", customer["id"]!.GetValue<string>(), c => c["name"] = "Platform");
        stripe.On(connected).Create("customers");
        var log = await stripe.WebhookAttempts.WaitForDeliveredAsync(4, Patience);

        var byPath = receiver.Received.ToLookup(r => r.Path);
        Assert.Equal(["customer.created", "customer.updated"], byPath["/platform"].Select(Type).Order());
        Assert.All(byPath["/platform"], r => Assert.Equal(JsonValueKind.Null, r.Json.GetProperty("account").ValueKind));
        var fromConnected = Assert.Single(byPath["/connect"]);
        Assert.Equal(connected, fromConnected.Json.GetProperty("account").GetString());
        Assert.Equal(connected, log.Single(a => a.Destination == connect.Url).Account);
        Assert.Equal(["customer.created"], byPath["/created"].Select(Type));
        Assert.Equal(4, receiver.Received.Count);
    }

    [Fact]
    public async Task A_drop_fraction_of_a_half_drops_about_half_the_deliveries_the_same_ones_every_run()
    {
        async Task<(HashSet<string> Dropped, HashSet<string> Received)> Run()
        {
            await using var receiver = await WebhookReceiver.StartAsync();
            await using var stripe = await StripeSimulator.StartAsync(Options(new WebhookOptions { DropFraction = 0.5 }));
            stripe.AddWebhookDestination(new WebhookDestination { Url = receiver.Url("/"), Secrets = [SecretA] });
            for (var i = 0; i < 60; i++)
            {
                stripe.Create("customers");
            }
            var log = await stripe.WebhookAttempts.WaitForAsync(a => a.Outcome is WebhookOutcome.Delivered or WebhookOutcome.Dropped, 60, Patience);
            Assert.Equal(60, log.Count);
            return ([.. log.Where(a => a.Outcome == WebhookOutcome.Dropped).Select(a => a.EventId)], [.. receiver.Received.Select(r => r.EventId)]);
        }

        var (dropped, received) = await Run();
        var again = await Run();

        Assert.InRange(dropped.Count, 18, 42);
        Assert.Equal(60 - dropped.Count, received.Count);
        Assert.Empty(dropped.Intersect(received));
        Assert.Equal(dropped.Order(), again.Dropped.Order());
        Assert.Equal(received.Order(), again.Received.Order());
    }

    [Fact]
    public async Task A_duplicate_fraction_delivers_events_twice()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var stripe = await StripeSimulator.StartAsync(Options(new WebhookOptions { DuplicateFraction = 1 }));
        stripe.AddWebhookDestination(new WebhookDestination { Url = receiver.Url("/"), Secrets = [SecretA] });

        stripe.Create("customers");
        stripe.Create("products");
        var log = await stripe.WebhookAttempts.WaitForDeliveredAsync(4, Patience);

        Assert.All(receiver.Received.GroupBy(r => r.EventId), g => Assert.Equal(2, g.Count()));
        Assert.Equal(2, receiver.Received.Select(r => r.EventId).Distinct().Count());
        Assert.All(log.GroupBy(a => a.EventId), g => Assert.Equal([false, true], g.Select(a => a.Duplicate).Order()));
    }

    [Theory]
    [InlineData("http://example.com/hooks")]
    [InlineData("https://10.0.0.1/hooks")]
    [InlineData("http://127.0.0.2/hooks")]
    [InlineData("http://[::2]/hooks")]
    [InlineData("ftp://127.0.0.1/hooks")]
    public async Task A_destination_off_loopback_is_refused(string url)
    {
        await using var stripe = await StripeSimulator.StartAsync(Options());
        var destination = new WebhookDestination { Url = new Uri(url), Secrets = [SecretA] };

        Assert.Throws<ArgumentException>(() => stripe.AddWebhookDestination(destination));
        await Assert.ThrowsAsync<ArgumentException>(() => StripeSimulator.StartAsync(Options(new WebhookOptions { Destinations = [destination] })));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/hooks")]
    [InlineData("http://localhost:9/hooks")]
    [InlineData("http://[::1]:9/hooks")]
    public async Task A_loopback_destination_is_accepted(string url)
    {
        await using var stripe = await StripeSimulator.StartAsync(Options());
        stripe.AddWebhookDestination(new WebhookDestination { Url = new Uri(url), Secrets = [SecretA] });
    }

    private static string Type(ReceivedWebhook hook) => hook.Json.GetProperty("type").GetString()!;

    /// <summary>Stripe's v1 signature, computed here from its documentation rather than by the simulator's code.</summary>
    private static string Hmac(string secret, long timestamp, byte[] body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.").Concat(body).ToArray()));

    /// <summary><c>GET /v1/events/{id}</c>'s body as the simulator serves it (no Accept-Encoding: not gzip'd).</summary>
    private static async Task<byte[]> Retrieve(StripeSimulator stripe, string eventId)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk_live_simulator");
        return await http.GetByteArrayAsync(new Uri(stripe.BaseUrl, $"/v1/events/{eventId}"));
    }
}
