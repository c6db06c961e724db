using System.Collections.Frozen;

namespace SourceStripe.Simulator;

/// <summary>
/// One Stripe Connect account connected to the platform (<see cref="SimulatorOptions.ConnectedAccounts"/>,
/// <see cref="StripeSimulator.ConnectAccount"/>): a whole account of its own, generated on its first request.
/// </summary>
public sealed record ConnectedAccountOptions
{
    /// <summary>Objects of each top-level resource; children derive from their parents.</summary>
    public int ObjectsPerStream { get; init; } = 20;

    /// <summary>Per top-level resource, a number of objects that replaces <see cref="ObjectsPerStream"/>.</summary>
    public IReadOnlyDictionary<string, int>? ObjectCounts { get; init; }

    /// <summary>What the account lacks. Default: Connect, since a connected account is not itself a platform
    /// (its <c>/v1/accounts</c> answers 403 as Stripe does).</summary>
    public IReadOnlySet<AccountFeature> MissingFeatures { get; init; } = ConnectOnly;

    private static readonly FrozenSet<AccountFeature> ConnectOnly = new[] { AccountFeature.Connect }.ToFrozenSet();
}
