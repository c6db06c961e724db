namespace SourceStripe.Simulator.Generation;

/// <summary>
/// SplitMix64: tiny, fast and identical on every platform and .NET version, so a seed always yields the
/// same account. Every object gets its own generator derived from (seed, purpose, stream, index), which
/// keeps values independent of generation order and lets streams be generated in parallel.
/// </summary>
internal struct Rng(ulong state)
{
    private ulong _state = state;

    public static Rng For(int seed, string purpose, string stream, long index) =>
        new(Mix(Mix(Mix((ulong)(uint)seed, Hash(purpose)), Hash(stream)), (ulong)index));

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [0, maxExclusive).</summary>
    public int Next(int maxExclusive) => maxExclusive <= 1 ? 0 : (int)(NextUInt64() % (ulong)maxExclusive);

    /// <summary>A value in [min, maxInclusive].</summary>
    public int Next(int min, int maxInclusive) => min + Next(maxInclusive - min + 1);

    /// <summary>A value in [min, maxExclusive).</summary>
    public long NextLong(long min, long maxExclusive) =>
        maxExclusive <= min ? min : min + (long)(NextUInt64() % (ulong)(maxExclusive - min));

    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public bool Chance(double probability) => NextDouble() < probability;

    public T Pick<T>(T[] items) => items[Next(items.Length)];

    private static ulong Mix(ulong a, ulong b)
    {
        var rng = new Rng(a ^ (b * 0x9E3779B97F4A7C15UL));
        return rng.NextUInt64();
    }

    /// <summary>FNV-1a: string.GetHashCode is randomized per process, this is not.</summary>
    private static ulong Hash(string text)
    {
        var hash = 0xCBF29CE484222325UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 0x100000001B3UL;
        }
        return hash;
    }
}
