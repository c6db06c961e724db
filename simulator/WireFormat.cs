namespace SourceStripe.Simulator;

/// <summary>How the server puts JSON answers on the wire (<see cref="SimulatorOptions.WireFormat"/>,
/// <see cref="StripeSimulator.WireFormat"/>). The account's objects (<see cref="SimulatedObject.Utf8"/>) and
/// <see cref="SimulatedStripeApi.Answer(string, string, string, Func{string, string?})"/> stay compact either way.</summary>
public enum WireFormat
{
    /// <summary>As Stripe answers: JSON indented by two spaces, gzip'd when the request's <c>Accept-Encoding</c>
    /// accepts it (with <c>Content-Encoding: gzip</c> and <c>Vary: Accept-Encoding</c>).</summary>
    Stripe,

    /// <summary>Compact JSON, never compressed: the cheapest answer to serve and to read, which the benchmark uses to
    /// find the connector's CPU ceiling apart from the cost of Stripe's format.</summary>
    Compact,
}
