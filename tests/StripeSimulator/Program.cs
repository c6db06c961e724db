using System.Globalization;
using System.Runtime.InteropServices;
using SourceStripe.Simulator;

// Runs a simulator by hand: `dotnet run --project tests/StripeSimulator -- --seed 7 --objects-per-stream 100`.
var options = new SimulatorOptions();
var port = 0;
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--seed" when value is not null:
            options = options with { Seed = int.Parse(value, CultureInfo.InvariantCulture) };
            i++;
            break;
        case "--objects-per-stream" when value is not null:
            options = options with { ObjectsPerStream = int.Parse(value, CultureInfo.InvariantCulture) };
            i++;
            break;
        case "--port" when value is not null:
            port = int.Parse(value, CultureInfo.InvariantCulture);
            i++;
            break;
        case "--recent-skew" when value is not null:
            options = options with { RecentSkew = double.Parse(value, CultureInfo.InvariantCulture) };
            i++;
            break;
        case "--event-visibility-delay" when value is not null:
            options = options with { EventVisibilityDelay = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)) };
            i++;
            break;
        default:
            Console.Error.WriteLine("usage: StripeSimulator [--seed N] [--objects-per-stream N] [--port N] [--recent-skew 0..1] [--event-visibility-delay SECONDS]");
            return 2;
    }
}

var started = DateTime.UtcNow;
await using var simulator = await StripeSimulator.StartAsync(options, port);
var objects = simulator.Account.Streams.Sum(s => simulator.Account.Count(s));
Console.WriteLine($"Stripe simulator: {simulator.BaseUrl}");
Console.WriteLine($"  secret key {options.SecretKey}, account {options.AccountId}, seed {options.Seed}");
Console.WriteLine($"  {objects} objects (incl. {simulator.Account.Events.Count} events) generated in {(DateTime.UtcNow - started).TotalMilliseconds:F0} ms");
Console.WriteLine($"  try: curl -H 'Authorization: Bearer {options.SecretKey}' '{simulator.BaseUrl}v1/charges?limit=2'");
Console.WriteLine("Press Ctrl+C to stop.");

// Ctrl+C and SIGTERM end the wait; the simulator then stops on this thread (not inside a signal handler).
var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
await stop.Task;
return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}
