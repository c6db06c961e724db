using System.Text;
using System.Text.RegularExpressions;

namespace SourceStripe.Tests.EndToEnd;

public sealed partial class DemoWebhooksEndToEndTests
{
    /// <summary>
    /// <c>capture --demo --follow</c>: after the backfill the demo account changes, its Stripe pushes each change as a
    /// signed webhook to the capture's listener, and the demo says what arrived and how fast; Ctrl+C ends it cleanly.
    /// </summary>
    [Fact]
    public async Task The_following_demo_shows_changes_arriving_through_webhooks()
    {
        using var process = ChildProcess.StartInterruptible(await PublishedConnector.StartInfoAsync(["capture", "--demo", "--follow", "--streams", "customers"]));
        process.StandardInput.Close();
        var stderr = new StringBuilder();
        var tenDelivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (stderr)
                {
                    stderr.AppendLine(line);
                }
                if (LiveLine().Match(line) is { Success: true } live && int.Parse(live.Groups["delivered"].Value.Replace(",", "")) >= 10)
                {
                    tenDelivered.TrySetResult();
                }
            }
            tenDelivered.TrySetResult();
        });
        var stdout = process.StandardOutput.ReadToEndAsync();

        // Only a guard against a hang.
        await tenDelivered.Task.WaitAsync(TimeSpan.FromMinutes(3));
        Assert.False(process.HasExited, $"the demo ended before it was interrupted:\n{stderr}");
        await ChildProcess.InterruptAsync(process);
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        await reading;
        var log = stderr.ToString();

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}:\n{log}");
        Assert.Empty(await stdout);
        Assert.Contains("its Stripe sends webhooks to http://127.0.0.1:", log);
        Assert.DoesNotContain("whsec_", log);
        var last = LiveLine().Matches(log)[^1];
        var made = int.Parse(last.Groups["made"].Value.Replace(",", ""));
        var captured = int.Parse(last.Groups["captured"].Value.Replace(",", ""));
        var delivered = int.Parse(last.Groups["delivered"].Value.Replace(",", ""));
        // Changes made as the signal came may still be on their way.
        Assert.InRange(captured, 10, made);
        Assert.InRange(delivered, 10, made);
        Assert.Contains("Every one of the account's", log);
    }

    [GeneratedRegex(@"^Live: (?<made>[\d,]+) changes made, (?<captured>[\d,]+) captured; (?<delivered>[\d,]+) webhooks delivered", RegexOptions.Multiline)]
    private static partial Regex LiveLine();
}
