using System.CommandLine;
using SourceStripe.Streams;

namespace SourceStripe.Cli;

/// <summary>
/// <c>source-stripe capture</c>: the capture Flow runs, from a terminal. By default it reads what the
/// state has pending plus one more range per stream (the backfill, or a poll up to now) and exits;
/// <c>--follow</c> keeps polling until Ctrl+C.
/// </summary>
public static class CaptureCommands
{
    /// <summary>The simulator holds at most this many connected accounts.</summary>
    private const int MaxDemoAccounts = 20_000;

    public static Command Build()
    {
        var config = TerminalCommands.ConfigOption(required: false);
        var demo = new Option<bool>("--demo")
        {
            Description = "Capture a simulated Stripe account served on 127.0.0.1 by this binary: no key, no network. With --follow it keeps changing, and its Stripe pushes each change to the capture as a signed webhook.",
        };
        var connected = new Option<int>("--connected-accounts")
        {
            Description = "With --demo: the simulated account is a Connect platform with N small connected accounts, all captured (capture_connected_accounts).",
            HelpName = "N",
        };
        var state = new Option<string>("--state")
        {
            Description = "The state file: read to resume if it exists, kept current while capturing (Flow's merged checkpoints).",
            HelpName = "FILE",
        };
        var streams = TerminalCommands.StreamsOption();
        var output = new Option<string>("--output", "-o")
        {
            Description = "Where documents go, one {\"stream\":…,\"doc\":…} JSON line each ('-' for stdout). Appended to when --state is given. Default: counted, not kept.",
            HelpName = "FILE",
        };
        var follow = new Option<bool>("--follow", "-f")
        {
            Description = "Keep capturing (polls and Stripe events at each stream's interval) until Ctrl+C, as Flow does.",
        };
        var command = new Command("capture", "Capture the bound streams, with progress on stderr and a summary at the end.")
        {
            config, demo, connected, state, streams, output, follow,
        };
        command.Validators.Add(result =>
        {
            var hasConfig = result.GetResult(config) is not null;
            var isDemo = result.GetValue(demo);
            if (hasConfig == isDemo)
            {
                result.AddError(isDemo ? "--config and --demo: pick one; --demo brings its own account" : "--config FILE or --demo is required");
            }
            if (result.GetResult(connected) is not null && !isDemo)
            {
                result.AddError("--connected-accounts goes with --demo; for a real platform set capture_connected_accounts: true in the config");
            }
            if (result.GetValue(connected) is < 0 or > MaxDemoAccounts)
            {
                result.AddError($"--connected-accounts: expected a whole number from 0 to {MaxDemoAccounts}, got {result.GetValue(connected)}");
            }
        });
        command.SetAction(async (parse, cancellation) =>
        {
            var isDemo = parse.GetValue(demo);
            var run = new TerminalCapture(
                // The demo's account has every feature; another may not be a Connect platform or have Issuing.
                parse.GetValue(streams) ?? (isDemo ? StreamCatalog.All : StreamCatalog.EveryAccount),
                parse.GetValue(state),
                parse.GetValue(output),
                parse.GetValue(follow),
                // The demo is over in seconds: lines often enough to watch it.
                ProgressDisplay.ForStderr(linesEvery: TimeSpan.FromSeconds(isDemo ? 1 : 5), documentsOnStdout: parse.GetValue(output) == "-"))
            {
                TrackIds = isDemo,
            };
            if (isDemo)
            {
                return await DemoCapture.RunAsync(run, parse.GetValue(connected), parse.GetValue(follow), cancellation).ConfigureAwait(false);
            }
            return await TerminalCommands.WithConfigAsync(parse.GetRequiredValue(config), endpoint => run.RunAsync(endpoint, cancellation)).ConfigureAwait(false);
        });
        return command;
    }
}
