using System.Globalization;
using System.Text.Json;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Config;
using SourceStripe.Logging;
using SourceStripe.Streams;
using SourceStripe.Stripe;

namespace SourceStripe.Capture.Accounts;

/// <summary>How the directory learns of accounts that come and go: the platform's list and its events.</summary>
public sealed partial class AccountDirectory
{
    private const string Authorized = "account.application.authorized";
    private const string Deauthorized = "account.application.deauthorized";

    /// <summary>The platform's accounts are listed again this often: the accounts binding's interval, or the default poll's.</summary>
    private TimeSpan RelistInterval =>
        bindings.FirstOrDefault(b => b.Stream.Name == "accounts")?.Interval ?? ResourceConfig.DefaultIncrementalInterval;

    /// <summary>Lists the platform's accounts again after the interval: new ones start, listed ones set aside resume.</summary>
    private void ScheduleRelist() =>
        context.Scheduler.EnqueueAt(context.Clock.GetUtcNow() + RelistInterval, new DelegateUnit("the platform's connected accounts", isBackfill: false, cursor: 0, _ =>
        {
            new AccountListing(context, LogLevel.Debug, RelistedAsync, listed =>
            {
                Log.Debug($"Listed the platform's {listed} connected accounts again");
                ScheduleRelist();
            }).Start();
            return Task.CompletedTask;
        }));

    private Task RelistedAsync(string accountId, CancellationToken stop) =>
        range.Owns(accountId) ? ArrivedAsync(accountId, authorized: false, stop) : Task.CompletedTask;

    /// <summary>
    /// Reads the platform's account.application.* events created after <paramref name="after"/> (unix
    /// seconds) once every events interval: an account authorizing the platform is captured at once, one
    /// deauthorizing it is set aside.
    /// </summary>
    private void ScheduleWatch(long after) =>
        context.Scheduler.EnqueueAt(context.Clock.GetUtcNow() + EventsInterval, new DelegateUnit("the platform's account events", isBackfill: false, cursor: 0, async stop =>
        {
            var upTo = (context.Clock.GetUtcNow() - context.Config.Advanced.EventLag).ToUnixTimeSeconds() - 1;
            var changes = await AccountEventsAsync(after, upTo, stop).ConfigureAwait(false);
            // Oldest first: an account that authorized and then deauthorized ends set aside.
            foreach (var (type, id) in Enumerable.Reverse(changes).Where(c => range.Owns(c.Account)))
            {
                if (type == Authorized)
                {
                    await ArrivedAsync(id, authorized: true, stop).ConfigureAwait(false);
                }
                else
                {
                    Find(id)?.Disconnect($"it deauthorized the platform ({Deauthorized})");
                }
            }
            ScheduleWatch(Math.Max(after, upTo));
        }));

    /// <summary>The platform's account.application.* events in (<paramref name="after"/>, <paramref name="upTo"/>], newest first.</summary>
    private async Task<List<(string Type, string Account)>> AccountEventsAsync(long after, long upTo, CancellationToken stop)
    {
        var changes = new List<(string Type, string Account)>();
        string? startingAfter = null;
        while (upTo > after)
        {
            List<KeyValuePair<string, string>> query =
            [
                new("limit", "100"),
                new("created[gt]", after.ToString(CultureInfo.InvariantCulture)),
                new("created[lte]", upTo.ToString(CultureInfo.InvariantCulture)),
                new("types[]", Authorized),
                new("types[]", Deauthorized),
            ];
            if (startingAfter is not null)
            {
                query.Add(new("starting_after", startingAfter));
            }
            using var page = await context.Client.ListAsync(StripeQuery.ListPath(StreamCatalog.Events, null, [.. query]), "created", null, stop).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                using var e = JsonDocument.Parse(page.Raw(item).ToArray());
                if (e.RootElement.TryGetProperty("account", out var account) && account.ValueKind == JsonValueKind.String
                    && e.RootElement.TryGetProperty("type", out var type) && type.GetString() is { } name)
                {
                    changes.Add((name, account.GetString()!));
                }
            }
            if (!page.HasMore || page.Items.Count == 0)
            {
                break;
            }
            startingAfter = page.Items[^1].Id;
        }
        return changes;
    }

    /// <summary>An account the platform lists or that authorized it: captured from now on, or resumed if it was set aside.</summary>
    private async Task ArrivedAsync(string accountId, bool authorized, CancellationToken stop)
    {
        if (Find(accountId) is { } known)
        {
            known.Resume(authorized);
            return;
        }
        if (await AddAsync(accountId, stop).ConfigureAwait(false))
        {
            Log.Info($"Capturing the newly connected account {accountId}");
        }
    }
}
