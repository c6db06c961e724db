using System.Diagnostics;
using SourceStripe.Simulator;
using Xunit.Abstractions;

namespace SourceStripe.Tests.Simulator;

/// <summary>
/// What a population's account costs the simulator before any request names it: its place in the platform's list
/// and, for one in thirteen (those connected in the last 30 days of 400), its <c>account.application.authorized</c>
/// event. The heap is measured before and after, so the test runs alone (see AccountMemoryTests).
/// </summary>
[Collection(nameof(SourceStripe.Tests.Capture.Accounts.AccountMemoryTests))]
public sealed class ConnectedAccountPopulationMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_account_nobody_asked_for_costs_at_most_200_bytes_among_100000()
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        await using var one = await StripeSimulator.StartAsync(ConnectedAccountPopulationTests.Options(1));
        var platformOnly = GC.GetTotalMemory(forceFullCollection: true) - before;

        var started = Stopwatch.StartNew();
        await using var many = await StripeSimulator.StartAsync(ConnectedAccountPopulationTests.Options(100_001));
        var startup = started.Elapsed;
        var platformAndPopulation = GC.GetTotalMemory(forceFullCollection: true) - before - platformOnly;

        var perAccount = (platformAndPopulation - platformOnly) / 100_000.0;
        output.WriteLine($"{perAccount:N0} bytes an unrequested account ({perAccount * 100_000 / 1e6:N1} MB for 100,000); started in {startup.TotalSeconds:N2} s");
        Assert.Equal(100_001, many.ConnectedAccountIds.Count);
        Assert.Equal(0, many.GeneratedConnectedAccounts);
        Assert.InRange(perAccount, 1, 200);
    }
}
