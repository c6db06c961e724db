namespace SourceStripe.Simulator;

/// <summary>
/// A large population of connected accounts described in a few fields rather than one record each
/// (<see cref="SimulatorOptions.ConnectedAccountPopulation"/>): each member's id, <c>created</c> and data derive
/// from the platform's seed and its position, so an account no request has named costs a few bytes.
/// </summary>
public sealed record ConnectedAccountPopulation
{
    /// <summary>The most accounts a platform holds, configured and connected later together.</summary>
    public const int MaxAccounts = ConnectedAccounts.MaxAccounts;

    /// <summary>How many accounts, <see cref="Large"/> included.</summary>
    public int Count { get; init; }

    /// <summary>What every member but the large ones holds.</summary>
    public ConnectedAccountOptions Each { get; init; } = new();

    /// <summary>The population's first members, one each: kept once generated, since regenerating them costs seconds.</summary>
    public IReadOnlyList<ConnectedAccountOptions> Large { get; init; } = [];

    /// <summary>How many generated, never-changed members stay in memory; beyond it the least recently used is
    /// dropped and generated again, identically, when next asked for.</summary>
    public int GeneratedAccountsKept { get; init; } = 64;

    internal ConnectedAccountOptions OptionsOf(int member) => member < Large.Count ? Large[member] : Each;
}
