using System.Text.Json;
using SourceStripe.Capture.Accounts;
using SourceStripe.Config;

namespace SourceStripe.Tests.Capture.Accounts;

/// <summary>The hash that assigns accounts to shards, and the shard's range read from <c>open.range</c>.</summary>
public sealed class KeyRangeTests
{
    [Theory]
    // The published FNV-1a 32-bit test vectors (Fowler, Noll, Vo; draft-eastlake-fnv).
    [InlineData("", 0x811c9dc5u)]
    [InlineData("a", 0xe40c292cu)]
    [InlineData("foobar", 0xbf9cf968u)]
    [InlineData("chongo was here!\n", 0xd49930d5u)]
    public void The_hash_is_FNV_1a_32_over_UTF_8(string text, uint expected) => Assert.Equal(expected, KeyRange.Hash(text));

    [Fact]
    public void Non_ASCII_ids_are_hashed_by_their_UTF_8_bytes()
    {
        // "é" is 0xC3 0xA9 in UTF-8.
        var expected = unchecked(((0x811c9dc5u ^ 0xC3u) * 16777619u ^ 0xA9u) * 16777619u);
        Assert.Equal(expected, KeyRange.Hash("é"));
    }

    [Fact]
    public void Two_halves_of_the_full_range_own_every_account_exactly_once()
    {
        var lower = new KeyRange(0, 0x7fffffff);
        var upper = new KeyRange(0x80000000, uint.MaxValue);
        var ids = Enumerable.Range(0, 1000).Select(i => $"acct_{i:D16}").ToList();
        Assert.All(ids, id => Assert.True(lower.Owns(id) ^ upper.Owns(id)));
        Assert.All(ids, id => Assert.True(KeyRange.Full.Owns(id)));
        // Both halves get a fair share.
        Assert.InRange(ids.Count(lower.Owns), 400, 600);
    }

    [Fact]
    public void The_range_is_read_from_open_range_and_absent_means_full()
    {
        var problems = new ConfigProblems();
        Assert.Equal(KeyRange.Full, KeyRange.Parse(null, problems));
        Assert.Equal(new KeyRange(0, 2147483647), KeyRange.Parse(Json("""{"keyBegin":0,"keyEnd":2147483647,"rClockBegin":0,"rClockEnd":4294967295}"""), problems));
        Assert.True(KeyRange.Parse(Json("""{"keyBegin":0,"keyEnd":4294967295}"""), problems).IsFull);
        Assert.False(problems.Any);
    }

    [Fact]
    public void A_malformed_range_names_the_field_and_what_is_expected()
    {
        var problems = new ConfigProblems();
        KeyRange.Parse(Json("""{"keyBegin":-1,"keyEnd":"x"}"""), problems);
        KeyRange.Parse(Json("""{"keyBegin":9,"keyEnd":3}"""), problems);
        Assert.Equal(
        [
            "open.range.keyBegin: expected a whole number from 0 to 4294967295, got -1",
            "open.range.keyEnd: expected a whole number from 0 to 4294967295, got \"x\"",
            "open.range: expected keyBegin at most keyEnd, got 9 and 3",
        ], problems.All);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
