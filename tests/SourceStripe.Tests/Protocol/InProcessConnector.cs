using System.Text;
using System.Text.Json.Nodes;
using SourceStripe.Config;
using SourceStripe.Protocol;
using SourceStripe.Stripe;

namespace SourceStripe.Tests.Protocol;

/// <summary>Runs the production protocol handler in-process over in-memory stdin and stdout.</summary>
internal static class InProcessConnector
{
    public static async Task<(int Exit, List<JsonObject> Responses)> RunAsync(string stdin, Func<EndpointConfig, StripeClient>? clients = null)
    {
        var stdout = new MemoryStream();
        var handler = new ProtocolHandler(new MemoryStream(Encoding.UTF8.GetBytes(stdin)), new ProtocolOutput(stdout), TimeProvider.System, clients);
        var exit = await handler.RunAsync(CancellationToken.None);
        var lines = Encoding.UTF8.GetString(stdout.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (exit, lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToList());
    }
}
