using System.Collections.Concurrent;
using System.Net;

namespace SourceStripe.Tests.Capture.Accounts;

/// <summary>
/// The client's own handler, holding every <c>/v1/accounts</c> request of the platform after the first until a
/// request made for a connected account has left: a listing that starts no account before its last page is
/// answered never ends. Notes, in order, what left and what was answered.
/// </summary>
public sealed class ListingGate(string platform, Action<string>? firstAccountRequest = null) : DelegatingHandler(new SocketsHttpHandler
{
    AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
    MaxConnectionsPerServer = 256,
    UseCookies = false,
})
{
    public const string AccountRequest = "account request";
    public const string ListingAnswered = "listing answered";

    private readonly TaskCompletionSource _accountAsked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _listings;

    public ConcurrentQueue<string> Seen { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var account = request.Headers.TryGetValues("Stripe-Account", out var values) ? values.Single() : null;
        var listing = account == platform && request.RequestUri!.AbsolutePath == "/v1/accounts";
        if (account != platform && !_accountAsked.Task.IsCompleted)
        {
            lock (_accountAsked)
            {
                if (!_accountAsked.Task.IsCompleted)
                {
                    // Before the request leaves: what the test does to this account, the request meets.
                    firstAccountRequest?.Invoke(account!);
                    Seen.Enqueue(AccountRequest);
                    _accountAsked.SetResult();
                }
            }
        }
        else if (account != platform)
        {
            Seen.Enqueue(AccountRequest);
        }
        if (listing && Interlocked.Increment(ref _listings) > 1)
        {
            await _accountAsked.Task.WaitAsync(cancellationToken);
        }
        var response = await base.SendAsync(request, cancellationToken);
        if (listing)
        {
            Seen.Enqueue(ListingAnswered);
        }
        return response;
    }

    /// <summary>Whether a connected account's request left before the listing's last page was answered.</summary>
    public bool AccountsStartedBeforeTheListingEnded()
    {
        var seen = Seen.ToList();
        return seen.IndexOf(AccountRequest) is var first and >= 0 && first < seen.LastIndexOf(ListingAnswered);
    }
}
