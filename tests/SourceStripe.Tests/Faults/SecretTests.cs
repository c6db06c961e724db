using System.Text;
using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Tests.EndToEnd;
using static SourceStripe.Tests.Faults.FaultRequests;

namespace SourceStripe.Tests.Faults;

/// <summary>
/// A distinctive key goes through every path of the published binary (each request, the 401 and 403
/// paths, a capture, a key revoked mid-capture, a config error), at the default and the debug log level,
/// and appears in no byte it writes: not as is, not in part, not base64-encoded.
/// </summary>
public sealed class SecretTests
{
    private const string Secret = "sk_live_SECRET_canary_7f3a9c";
    private const string Restricted = "rk_test_SECRET_canary_restricted_4e1b2d";

    /// <summary>What one scenario left behind.</summary>
    private sealed record Outcome(int Exit, byte[] Stdout, byte[] Stderr);

    private static readonly Dictionary<string, (string Key, Func<string[], Task<Outcome>> Run)> Scenarios = new()
    {
        ["spec with the key in its config"] = (Secret, SpecAsync),
        ["discover"] = (Secret, DiscoverAsync),
        ["validate with a good key"] = (Secret, ValidateGoodAsync),
        ["validate with a key Stripe rejects (401)"] = (Secret, ValidateRejectedAsync),
        ["validate with a restricted key lacking access (403)"] = (Restricted, ValidateForbiddenAsync),
        ["apply"] = (Secret, ApplyAsync),
        ["open: a short capture stopped by closing stdin"] = (Secret, ShortCaptureAsync),
        ["open: the key is revoked mid-capture (401)"] = (Secret, RevokedCaptureAsync),
        ["open: a restricted key meets a stream it cannot read (403)"] = (Restricted, ForbiddenCaptureAsync),
        ["open with a bad config"] = (Secret, BadConfigOpenAsync),
        ["discover with a restricted key and a bad config"] = (Restricted, BadConfigDiscoverAsync),
    };

    public static TheoryData<string, bool> Runs()
    {
        var runs = new TheoryData<string, bool>();
        foreach (var name in Scenarios.Keys)
        {
            runs.Add(name, false);
            runs.Add(name, true);
        }
        return runs;
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public async Task The_key_appears_in_no_byte_of_output(string scenario, bool debug)
    {
        var (key, run) = Scenarios[scenario];
        var outcome = await run(debug ? ["--log.level=debug"] : []);

        foreach (var (what, bytes) in new[] { ("stdout", outcome.Stdout), ("stderr", outcome.Stderr) })
        {
            foreach (var form in ForbiddenForms(key))
            {
                Assert.True(bytes.AsSpan().IndexOf(form) < 0,
                    $"{what} of \"{scenario}\" carries the key (as {Encoding.UTF8.GetString(form)}):\n{StreamChecks.Shorten(Encoding.UTF8.GetString(bytes))}");
            }
        }
    }

    [Fact]
    public void The_forbidden_forms_catch_the_key_in_every_base64_alignment()
    {
        foreach (var prefix in new[] { "", "a", "ab", "Bearer ", "user:" })
        {
            var encoded = Encoding.ASCII.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix + Secret + ":")));
            Assert.Contains(ForbiddenForms(Secret), form => encoded.AsSpan().IndexOf(form) >= 0);
        }
    }

    /// <summary>The key, its distinctive middle (which Stripe's own masking never shows), and its base64 at each alignment.</summary>
    private static List<byte[]> ForbiddenForms(string key)
    {
        var forms = new List<byte[]> { Encoding.UTF8.GetBytes(key), "SECRET_canary"u8.ToArray() };
        var raw = Encoding.UTF8.GetBytes(key);
        for (var offset = 0; offset < 3; offset++)
        {
            // Encode behind `offset` filler bytes; drop the characters that mix filler or padding in.
            var encoded = Convert.ToBase64String([.. new byte[offset], .. raw]);
            var start = offset == 0 ? 0 : 4;
            var core = encoded[start..^4];
            forms.Add(Encoding.ASCII.GetBytes(core));
        }
        return forms;
    }

    private static Outcome Of(ConnectorRun run) => new(run.ExitCode, run.StdoutBytes, Encoding.UTF8.GetBytes(run.Stderr));

    private static async Task<Outcome> SpecAsync(string[] args)
    {
        var run = await PublishedConnector.RunAsync(Spec(Endpoint(Secret)), args);
        Assert.Equal(0, run.ExitCode);
        return Of(run);
    }

    private static async Task<Outcome> DiscoverAsync(string[] args)
    {
        var run = await PublishedConnector.RunAsync(Discover(Endpoint(Secret)), args);
        Assert.Equal(0, run.ExitCode);
        Assert.NotNull(run.SingleResponse()["discovered"]);
        return Of(run);
    }

    private static async Task<Outcome> ValidateGoodAsync(string[] args)
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 3, SecretKey = Secret });
        var run = await PublishedConnector.RunAsync(Validate(Endpoint(Secret, stripe.BaseUrl), Resource("charges"), Resource("invoice_line_items", "full_refresh")), args);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.NotNull(run.SingleResponse()["validated"]);
        // The key was really used, so its absence from the output means something.
        Assert.All(stripe.Requests, r => Assert.Equal("Bearer " + Secret, r.Headers["Authorization"]));
        return Of(run);
    }

    private static async Task<Outcome> ValidateRejectedAsync(string[] args)
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 3, SecretKey = "sk_live_the_other_key_000000" });
        var run = await PublishedConnector.RunAsync(Validate(Endpoint(Secret, stripe.BaseUrl), Resource("charges"), Resource("customers")), args);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Stripe rejected the secret key (401)", StreamChecks.AssertFinalError(run.Stderr));
        return Of(run);
    }

    private static async Task<Outcome> ValidateForbiddenAsync(string[] args)
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            ObjectsPerStream = 3,
            SecretKey = Restricted,
            ForbiddenStreams = new HashSet<string> { "payouts" },
        });
        var run = await PublishedConnector.RunAsync(Validate(Endpoint(Restricted, stripe.BaseUrl), Resource("charges"), Resource("payouts")), args);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("the key lacks read access to payouts", StreamChecks.AssertFinalError(run.Stderr));
        return Of(run);
    }

    private static async Task<Outcome> ApplyAsync(string[] args)
    {
        var run = await PublishedConnector.RunAsync(Apply(Endpoint(Secret), Resource("charges")), args);
        Assert.Equal(0, run.ExitCode);
        return Of(run);
    }

    private static async Task<Outcome> ShortCaptureAsync(string[] args)
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 5, SecretKey = Secret });
        await using var connector = await ConnectorProcess.StartAsync(
            Open(Endpoint(Secret, stripe.BaseUrl), new JsonObject(), Resource("charges"), Resource("customers"), Resource("invoice_line_items", "full_refresh")), args);
        await connector.WaitForStdoutAsync(s => s.Contains("\"captured\"") && s.Contains("\"checkpoint\""));
        connector.CloseStdin();
        var exit = await connector.WaitForExitAsync(TimeSpan.FromMinutes(2));
        Assert.True(exit == 0, connector.Stderr);
        Assert.All(stripe.Requests, r => Assert.Equal("Bearer " + Secret, r.Headers["Authorization"]));
        return new Outcome(exit, connector.StdoutBytes, connector.StderrBytes);
    }

    private static async Task<Outcome> RevokedCaptureAsync(string[] args)
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 5, SecretKey = Secret });
        await using var connector = await ConnectorProcess.StartAsync(
            Open(Endpoint(Secret, stripe.BaseUrl), new JsonObject(), Resource("charges", interval: "PT1S"), Resource("customers", interval: "PT1S")), args);
        await connector.WaitForStdoutAsync(s => s.Contains("\"checkpoint\""));
        stripe.RevokeKey();
        var exit = await connector.WaitForExitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(1, exit);
        Assert.Contains("Stripe rejected the secret key (401)", StreamChecks.AssertFinalError(connector.Stderr));
        return new Outcome(exit, connector.StdoutBytes, connector.StderrBytes);
    }

    private static async Task<Outcome> ForbiddenCaptureAsync(string[] args)
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            ObjectsPerStream = 5,
            SecretKey = Restricted,
            ForbiddenStreams = new HashSet<string> { "payouts" },
        });
        await using var connector = await ConnectorProcess.StartAsync(
            Open(Endpoint(Restricted, stripe.BaseUrl), new JsonObject(), Resource("charges"), Resource("payouts")), args);
        var exit = await connector.WaitForExitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(1, exit);
        Assert.Contains("lacks read access to payouts", StreamChecks.AssertFinalError(connector.Stderr));
        return new Outcome(exit, connector.StdoutBytes, connector.StderrBytes);
    }

    private static async Task<Outcome> BadConfigOpenAsync(string[] args)
    {
        var run = await PublishedConnector.RunAsync(Open(Endpoint(Secret, edit: c => c["start_date"] = "last tuesday"), new JsonObject(), Resource("charges")), args);
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("Invalid capture: config.start_date", StreamChecks.AssertFinalError(run.Stderr));
        return Of(run);
    }

    private static async Task<Outcome> BadConfigDiscoverAsync(string[] args)
    {
        // The key sits next to mistakes in every other field: each problem is reported, the key never.
        var run = await PublishedConnector.RunAsync(Discover(Endpoint(Restricted, edit: c =>
        {
            c["account_id"] = 7;
            c["start_date"] = Restricted;
            c["lookback_window_days"] = Restricted;
            c["advanced"] = new JsonObject { ["base_url"] = "https://" + Restricted + ".example.com/?q=" + Restricted, ["event_payloads"] = Restricted };
            c[Restricted] = Restricted;
        })), args);
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("Invalid configuration (5 problems)", StreamChecks.AssertFinalError(run.Stderr));
        return Of(run);
    }
}
