using System.Text.Json;
using SourceStripe.Capture;
using SourceStripe.Capture.Accounts;
using SourceStripe.Config;
using SourceStripe.State;

namespace SourceStripe.Protocol;

/// <summary>Reads an <c>open</c> request into the <see cref="CaptureSpec"/> it asks for, reporting every problem at once, each with its path.</summary>
public static class CaptureSpecReader
{
    /// <summary>The capture <paramref name="request"/> asks for; a <see cref="ConfigException"/> naming every problem when it cannot run.</summary>
    public static CaptureSpec Read(OpenRequest request, DateTimeOffset now)
    {
        var capture = request.Capture ?? throw new ConfigException("Invalid open request: open.capture is missing; expected the capture specification");
        var problems = new ConfigProblems();
        var config = EndpointConfig.Parse(capture.Config, problems, now);
        var bindings = BoundStreams(capture.Bindings ?? [], problems);
        var (state, stateProblem) = StateReader.Read(request.State);
        if (stateProblem is not null)
        {
            problems.Add(stateProblem.Path, stateProblem.Expected);
        }
        var range = KeyRange.Parse(request.Range, problems);
        if (config is { CaptureConnectedAccounts: false } && !range.IsFull)
        {
            problems.Add("open.range", $"this capture reads one account, which cannot be divided among shards, but this shard was given the range {range}; "
                + "run it as one shard, or set capture_connected_accounts to true to divide a platform's connected accounts among shards");
        }
        if (problems.Any || config is null || state is null)
        {
            throw new ConfigException(problems.Summary("capture"));
        }
        return new CaptureSpec(config, bindings, range, state);
    }

    /// <summary>Every binding's resource config, in request order; duplicates are a problem.</summary>
    public static List<ResourceConfig> ResourceConfigs(IReadOnlyList<JsonElement?> resourceConfigs, ConfigProblems problems)
    {
        var bindings = new List<ResourceConfig>(resourceConfigs.Count);
        var seen = new Dictionary<string, int>();
        for (var i = 0; i < resourceConfigs.Count; i++)
        {
            var binding = ResourceConfig.Parse(resourceConfigs[i], $"bindings[{i}].resourceConfig", problems);
            if (binding is null)
            {
                continue;
            }
            if (seen.TryGetValue(binding.Stream.Name, out var first))
            {
                problems.Add($"bindings[{i}].resourceConfig.stream", $"stream {binding.Stream.Name} is already bound by bindings[{first}]; bind each stream once");
                continue;
            }
            seen.Add(binding.Stream.Name, i);
            bindings.Add(binding);
        }
        return bindings;
    }

    private static List<BoundStream> BoundStreams(List<CaptureBinding> bindings, ConfigProblems problems)
    {
        var configs = ResourceConfigs([.. bindings.Select(b => b.ResourceConfig)], problems);
        if (configs.Count != bindings.Count)
        {
            return [];
        }
        // stateKey identifies a binding's state across runs; bindings may be added, removed or reordered.
        return [.. bindings.Select((b, i) => new BoundStream(i, b.StateKey is { Length: > 0 } key ? key : configs[i].Stream.Name,
            configs[i].Stream, configs[i].SyncMode, configs[i].Interval, b.Backfill))];
    }
}
