using System.Text;
using System.Text.Json.Nodes;

namespace SourceStripe.Bench;

/// <summary>Per account, from the connector's stdout: its first document and the moment every binding of it had nothing pending.</summary>
internal sealed class AccountProgress(IReadOnlyList<string> accounts, IReadOnlyList<string> streams)
{
    private static readonly byte[] AccountMember = "\"account_id\":\""u8.ToArray();

    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Dictionary<string, TimeSpan> _first = [];
    private readonly Dictionary<string, TimeSpan> _caughtUp = [];
    private readonly Dictionary<string, HashSet<string>> _doneIn = accounts.ToDictionary(a => a, _ => new HashSet<string>());

    public IReadOnlyDictionary<string, TimeSpan> FirstDocument => _first;

    public IReadOnlyDictionary<string, TimeSpan> CaughtUp => _caughtUp;

    public bool AllCaughtUp => _caughtUp.Count == accounts.Count;

    public void Observe(ReadOnlySpan<byte> line)
    {
        var member = line.LastIndexOf(AccountMember);
        if (line.StartsWith("{\"captured\""u8))
        {
            if (member >= 0)
            {
                var rest = line[(member + AccountMember.Length)..];
                _first.TryAdd(Encoding.UTF8.GetString(rest[..rest.IndexOf((byte)'"')]), _clock.Elapsed);
            }
            return;
        }
        // A checkpoint that writes an account's row for a binding deletes the binding's pending entry for it (see
        // StatePatch): that binding has nothing pending there any more.
        var pending = JsonNode.Parse(line)?["checkpoint"]?["state"]?["updated"]?["pending"] as JsonObject;
        foreach (var (stream, accounts) in pending ?? [])
        {
            foreach (var (account, progress) in accounts as JsonObject ?? [])
            {
                if (progress is null)
                {
                    Done(account, stream);
                }
            }
        }
    }

    private void Done(string account, string stream)
    {
        if (_doneIn.TryGetValue(account, out var streamsDone) && streamsDone.Add(stream) && streamsDone.Count == streams.Count)
        {
            _caughtUp.TryAdd(account, _clock.Elapsed);
        }
    }
}
