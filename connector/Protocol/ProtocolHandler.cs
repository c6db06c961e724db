using System.Text;
using System.Text.Json;
using SourceStripe.Capture;
using SourceStripe.Config;
using SourceStripe.Logging;
using SourceStripe.Streams;
using SourceStripe.Stripe;

namespace SourceStripe.Protocol;

/// <summary>
/// Protocol mode: reads requests from stdin and answers on stdout as flow-protocol.md specifies.
/// spec, discover, validate and apply are unary: one request, one response line, exit.
/// </summary>
public sealed class ProtocolHandler(Stream stdin, ProtocolOutput output, TimeProvider clock, Func<EndpointConfig, StripeClient>? clientFactory = null)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Func<EndpointConfig, StripeClient> _clientFactory = clientFactory ?? (config => new StripeClient(config, clock: clock));

    /// <summary>Serves the first request; returns the process exit code.</summary>
    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        using var reader = new StreamReader(stdin, StrictUtf8, detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024, leaveOpen: true);
        string? line;
        try
        {
            do
            {
                line = await reader.ReadLineAsync(cancellation).ConfigureAwait(false);
            }
            while (line is not null && line.Trim().Length == 0);
        }
        catch (DecoderFallbackException)
        {
            return Fail("The request on stdin is not valid UTF-8: expected one JSON object per line");
        }

        if (line is null)
        {
            return Fail("No request arrived on stdin: expected one JSON request per line, such as {\"spec\":{}}");
        }

        var bytes = Encoding.UTF8.GetBytes(line);
        if (RequestErrors.Unreadable(bytes) is { } unreadable)
        {
            return Fail(unreadable);
        }
        // The request's members point into the document: it lives as long as the request is served.
        using var document = JsonDocument.Parse(bytes, RequestErrors.DocumentOptions);
        if (!RequestReader.TryRead(document.RootElement, out var request, out var wrongType))
        {
            return Fail(wrongType);
        }

        try
        {
            return request switch
            {
                { Spec: not null } => Respond(Spec.Write),
                { Discover: { } discover } => HandleDiscover(discover),
                { Validate: { } validate } => await HandleValidateAsync(validate, cancellation).ConfigureAwait(false),
                { Apply: { } apply } => HandleApply(apply),
                { Open: { } open } => await HandleOpenAsync(open, reader, cancellation).ConfigureAwait(false),
                _ => Fail(RequestErrors.UnknownRequest(document.RootElement)),
            };
        }
        catch (ConfigException e)
        {
            return Fail(e.Message);
        }
    }

    private async Task<int> HandleOpenAsync(OpenRequest request, StreamReader reader, CancellationToken cancellation)
    {
        var spec = CaptureSpecReader.Read(request, clock.GetUtcNow());
        var session = new CaptureSession(spec, new RuntimeInput(reader), new ProtocolCaptureSink(output, explicitAcknowledgements: spec.TakesWebhooks), _clientFactory);
        return await session.RunAsync(cancellation).ConfigureAwait(false);
    }

    private int HandleDiscover(DiscoverRequest request)
    {
        var config = ParseEndpoint(request.Config);
        return Respond(json => Discover.Write(json, config));
    }

    private async Task<int> HandleValidateAsync(ValidateRequest request, CancellationToken cancellation)
    {
        var problems = new ConfigProblems();
        var config = EndpointConfig.Parse(request.Config, problems, clock.GetUtcNow());
        var bindings = CaptureSpecReader.ResourceConfigs([.. request.Bindings?.Select(b => b.ResourceConfig) ?? []], problems);
        if (problems.Any || config is null)
        {
            throw new ConfigException(problems.Summary("configuration"));
        }

        if (!config.CaptureConnectedAccounts)
        {
            AccountFieldCheck(request.Bindings ?? [], problems);
            if (problems.Any)
            {
                throw new ConfigException(problems.Summary("configuration"));
            }
        }

        using (var client = _clientFactory(config))
        {
            var needsEvents = bindings.Any(b => b.SyncMode == SyncMode.Incremental && b.Stream.ChangesFromEvents);
            await AccessCheck.CheckAsync(client, bindings.Select(b => b.Stream).ToList(), needsEvents, problems, cancellation).ConfigureAwait(false);
            if (config.CaptureConnectedAccounts && !problems.Any)
            {
                await AccessCheck.CheckConnectedAccountsAsync(client, problems, cancellation).ConfigureAwait(false);
            }
        }
        if (problems.Any)
        {
            throw new ConfigException(problems.Summary("configuration"));
        }

        return Respond(json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("validated");
            json.WriteStartArray("bindings");
            foreach (var binding in bindings)
            {
                json.WriteStartObject();
                json.WriteStartArray("resourcePath");
                json.WriteStringValue(binding.Stream.Name);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        });
    }

    /// <summary>
    /// Turning connected accounts off under collections whose schema requires <c>account_id</c> (discovered
    /// while it was on) would fail the capture at its first document without it: refused, saying what to do.
    /// Turning it on needs nothing: the platform's progress is already kept under its account id.
    /// </summary>
    private static void AccountFieldCheck(List<ValidateBinding> bindings, ConfigProblems problems)
    {
        var requiring = bindings
            .Where(b => b.Collection is { ValueKind: JsonValueKind.Object } collection && RequiresAccountField(collection))
            .Select(b => b.Collection!.Value.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString()! : "(unnamed)")
            .ToList();
        if (requiring.Count > 0)
        {
            problems.Add("config.capture_connected_accounts", $"is false, but the schemas of {string.Join(", ", requiring.Take(5))}{(requiring.Count > 5 ? $" and {requiring.Count - 5} more" : "")} "
                + $"require {StreamCatalog.AccountField}, which documents carry only while it is true; set it back to true, or refresh those collections' schemas (discover again) so that they no longer require {StreamCatalog.AccountField}");
        }
    }

    private static bool RequiresAccountField(JsonElement collection)
    {
        foreach (var name in (ReadOnlySpan<string>)["writeSchema", "schema"])
        {
            if (collection.TryGetProperty(name, out var schema) && schema.ValueKind == JsonValueKind.Object
                && schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array
                && required.EnumerateArray().Any(r => r.ValueKind == JsonValueKind.String && r.GetString() == StreamCatalog.AccountField))
            {
                return true;
            }
        }
        return false;
    }

    private int HandleApply(ApplyRequest request)
    {
        // Nothing to create in Stripe: apply only confirms the spec still reads, and is idempotent.
        if (request.Capture is { } capture)
        {
            var problems = new ConfigProblems();
            EndpointConfig.Parse(capture.Config, problems, clock.GetUtcNow());
            CaptureSpecReader.ResourceConfigs([.. capture.Bindings?.Select(b => b.ResourceConfig) ?? []], problems);
            if (problems.Any)
            {
                throw new ConfigException(problems.Summary("capture specification"));
            }
        }
        return Respond(json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("applied");
            json.WriteString("actionDescription", "");
            json.WriteEndObject();
            json.WriteEndObject();
        });
    }

    private EndpointConfig ParseEndpoint(JsonElement? config)
    {
        var problems = new ConfigProblems();
        var parsed = EndpointConfig.Parse(config, problems, clock.GetUtcNow());
        return problems.Any || parsed is null ? throw new ConfigException(problems.Summary("configuration")) : parsed;
    }

    private int Respond(Action<Utf8JsonWriter> write)
    {
        output.WriteLine(write);
        return 0;
    }

    private static int Fail(string message)
    {
        Log.Error(message);
        return 1;
    }
}
