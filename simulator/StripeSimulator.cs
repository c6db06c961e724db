using System.Text.Json.Nodes;
using SourceStripe.Simulator.Server;

namespace SourceStripe.Simulator;

/// <summary>
/// A fake of Stripe's read API on 127.0.0.1 (ephemeral port), serving a generated account. Tests mutate the
/// account through <see cref="Create"/>, <see cref="Update"/> and <see cref="Delete"/>, which emit the events
/// Stripe would, and inspect the requests the connector made through <see cref="Requests"/>.
/// </summary>
public sealed partial class StripeSimulator : IAsyncDisposable
{
    private readonly LoopbackServer _server;
    private readonly SimulatedStripeApi _api;
    private readonly RequestHandler _handler;
    private readonly AccountMutations _platform;

    private StripeSimulator(LoopbackServer server)
    {
        _server = server;
        _api = server.Api;
        _handler = server.Handler;
        _platform = new AccountMutations(_api.Options.AccountId, _api.Platform.Mutations);
    }

    /// <summary>http://127.0.0.1:PORT (https:// with <see cref="SimulatorOptions.Certificate"/>)</summary>
    public Uri BaseUrl => _server.BaseUrl;

    /// <summary>The account's data, inspectable.</summary>
    public SimulatorAccount Account => _api.Account;

    /// <summary>A snapshot of the requests answered so far, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _handler.Log.Snapshot();

    /// <summary>Generates the account and starts serving it on 127.0.0.1 with an ephemeral port.</summary>
    public static Task<StripeSimulator> StartAsync(SimulatorOptions options, CancellationToken ct = default) =>
        StartAsync(options, port: 0, ct);

    /// <summary>As <see cref="StartAsync(SimulatorOptions, CancellationToken)"/>, on a chosen port (0: ephemeral).</summary>
    public static async Task<StripeSimulator> StartAsync(SimulatorOptions options, int port, CancellationToken ct = default)
    {
        // Generating a large account takes a while: not on the caller's thread.
        var api = await Task.Run(() => new SimulatedStripeApi(options), ct).ConfigureAwait(false);
        return new StripeSimulator(LoopbackServer.Start(api, port));
    }

    public void ClearRequests() => _handler.Log.Clear();

    /// <summary>The next <see cref="Fault.Times"/> requests matching the fault get it (faults queue in order).</summary>
    public void InjectFault(Fault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        _handler.Faults.Add(fault);
    }

    /// <summary>Removes the faults not served yet.</summary>
    public void ClearFaults() => _handler.Faults.Clear();

    /// <summary>
    /// Faults a random share of the requests from now on (deterministic for a seed): each request gets,
    /// with probability <paramref name="rate"/>, one of <paramref name="kinds"/> (default: every kind).
    /// </summary>
    public void InjectRandomFaults(double rate, IReadOnlyList<Fault>? kinds = null, int seed = 1) =>
        _handler.Faults.Random(rate, kinds ?? Fault.EveryKind(TimeSpan.FromSeconds(3)), seed);

    /// <summary>Requests that got a random fault.</summary>
    public int RandomFaults => _handler.Faults.RandomFaults;

    /// <summary>Stripe's rate limits enforced from now on, counted afresh (see <see cref="SimulatorOptions.RateLimits"/>);
    /// null: none.</summary>
    public RateLimits? RateLimits
    {
        get => _handler.RateLimits;
        set => _handler.RateLimits = value;
    }

    /// <summary>The median latency added to every answer from now on (see <see cref="SimulatorOptions.Latency"/>).</summary>
    public TimeSpan Latency
    {
        get => _handler.Latency.Median;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            _handler.Latency = _handler.Latency with { Median = value };
        }
    }

    /// <summary>The lognormal sigma of the latency's tail from now on (see <see cref="SimulatorOptions.LatencySigma"/>).</summary>
    public double LatencySigma
    {
        get => _handler.Latency.Sigma;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _handler.Latency = _handler.Latency with { Sigma = value };
        }
    }

    /// <summary>How JSON answers go on the wire from now on (see <see cref="SimulatorOptions.WireFormat"/>): the benchmark
    /// compares Stripe's indented, gzip'd answers with compact ones on one generated account.</summary>
    public WireFormat WireFormat
    {
        get => _handler.WireFormat;
        set => _handler.WireFormat = value;
    }

    /// <summary>From now on every request answers 401 (the key was rolled or deleted).</summary>
    public void RevokeKey() => _api.Revoked = true;

    /// <summary>
    /// Creates an object of the stream now (simulator clock), generated like the others and then passed to
    /// <paramref name="edit"/>; emits the creation event Stripe would. Children need <paramref name="parentId"/>.
    /// Returns a copy of the stored object.
    /// </summary>
    public JsonObject Create(string stream, Action<JsonObject>? edit = null, string? parentId = null) =>
        _platform.Create(stream, edit, parentId);

    /// <summary>Applies <paramref name="edit"/> to the object and emits the update event Stripe would, with
    /// <c>previous_attributes</c>. Returns a copy of the stored object.</summary>
    public JsonObject Update(string stream, string id, Action<JsonObject> edit) => _platform.Update(stream, id, edit);

    /// <summary>Deletes the object (cancels a subscription) and emits the event Stripe would. Stripe deletes only
    /// draft invoices and cannot cancel a canceled subscription: those throw <see cref="InvalidOperationException"/>.</summary>
    public void Delete(string stream, string id) => _platform.Delete(stream, id);

    /// <summary>
    /// Appends an event exactly as Stripe renders it (<c>evt_</c> id, <c>api_version</c> = <paramref name="apiVersion"/>
    /// or the pinned version, <c>created</c> = <paramref name="created"/> or now, <c>data.object</c> =
    /// <paramref name="dataObject"/> as given, <c>data.previous_attributes</c> when given), listed by
    /// <c>/v1/events</c> once now ≥ created + <paramref name="visibleAfter"/> (default: at once). No stored object
    /// changes: this sends payloads in another API version's shape while the objects keep the current shape.
    /// Returns the event.
    /// </summary>
    public JsonObject EmitEvent(string type, JsonObject dataObject, string? apiVersion = null, JsonObject? previousAttributes = null,
        TimeSpan? visibleAfter = null, DateTimeOffset? created = null) =>
        _platform.EmitEvent(type, dataObject, apiVersion, previousAttributes, visibleAfter, created);

    /// <summary>Stops serving and delivering: deliveries in flight are cancelled, pending retries forgotten.</summary>
    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync().ConfigureAwait(false);
        await _api.Webhooks.DisposeAsync().ConfigureAwait(false);
    }
}
