namespace SourceStripe.Simulator.Generation;

/// <summary>
/// Where a new object finds the objects it references: the account being generated (ids decided, bodies not yet
/// written) or the live account (for objects created on demand).
/// </summary>
internal interface IReferenceSource
{
    /// <summary>A random object of the stream created at or before <paramref name="notAfter"/> (any object when
    /// none is that old); null when the stream is empty.</summary>
    string? Pick(string stream, long notAfter, ref Rng rng);

    /// <summary>A top-level field of an existing object (null when unknown).</summary>
    Fixed Field(string stream, string id, string field);
}
