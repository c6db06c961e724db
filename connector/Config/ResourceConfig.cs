using System.Text.Json;
using SourceStripe.Streams;

namespace SourceStripe.Config;

/// <summary>A binding's resource configuration, validated against the stream catalog.</summary>
public sealed record ResourceConfig(StreamDescriptor Stream, SyncMode SyncMode, TimeSpan Interval)
{
    /// <summary>Incremental polls are cheap (only new objects): every five minutes.</summary>
    public static readonly TimeSpan DefaultIncrementalInterval = TimeSpan.FromMinutes(5);

    /// <summary>A full refresh re-reads the whole resource: once a day.</summary>
    public static readonly TimeSpan DefaultFullRefreshInterval = TimeSpan.FromDays(1);

    /// <summary>The longest interval: a month (the capture's timers cannot wait much longer).</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(31);

    public static TimeSpan DefaultInterval(SyncMode mode) => mode == SyncMode.Incremental ? DefaultIncrementalInterval : DefaultFullRefreshInterval;

    public static string SyncModeName(SyncMode mode) => mode == SyncMode.Incremental ? "incremental" : "full_refresh";

    public static bool TryParseSyncMode(string text, out SyncMode mode)
    {
        mode = text == "full_refresh" ? SyncMode.FullRefresh : SyncMode.Incremental;
        return text is "incremental" or "full_refresh";
    }

    /// <summary>Reads one binding's resource config; <paramref name="path"/> names it in messages.</summary>
    public static ResourceConfig? Parse(JsonElement? element, string path, ConfigProblems problems)
    {
        if (element is not { ValueKind: JsonValueKind.Object } obj)
        {
            problems.Add(path, $"expected an object with stream and syncMode, got {EndpointConfig.Describe(element)}");
            return null;
        }

        StreamDescriptor? stream = null;
        if (!obj.TryGetProperty("stream", out var streamElement) || streamElement.ValueKind != JsonValueKind.String)
        {
            problems.Add(path + ".stream", $"expected one of the stream names ({string.Join(", ", StreamCatalog.All.Select(s => s.Name))}), got {EndpointConfig.Describe(streamElement.ValueKind == JsonValueKind.Undefined ? null : streamElement)}");
        }
        else
        {
            stream = StreamCatalog.Find(streamElement.GetString()!);
            if (stream is null)
            {
                problems.Add(path + ".stream", $"unknown stream {EndpointConfig.Describe(streamElement.GetString()!)}; expected one of: {string.Join(", ", StreamCatalog.All.Select(s => s.Name))}");
            }
        }

        SyncMode? syncMode = null;
        if (!obj.TryGetProperty("syncMode", out var modeElement) || modeElement.ValueKind == JsonValueKind.Null)
        {
            // An absent mode takes the stream's default: older bindings were written without one.
            syncMode = stream?.DefaultSyncMode;
        }
        else if (modeElement.ValueKind != JsonValueKind.String || !TryParseSyncMode(modeElement.GetString()!, out var parsed))
        {
            problems.Add(path + ".syncMode", $"expected incremental or full_refresh, got {EndpointConfig.Describe(modeElement)}");
        }
        else if (stream is not null && !stream.Supports(parsed))
        {
            problems.Add(path + ".syncMode", $"stream {stream.Name} does not support {SyncModeName(parsed)}; it supports {string.Join(" and ", stream.SyncModes.Select(SyncModeName))}");
        }
        else
        {
            syncMode = parsed;
        }

        TimeSpan? interval = null;
        if (obj.TryGetProperty("interval", out var intervalElement) && intervalElement.ValueKind != JsonValueKind.Null)
        {
            if (intervalElement.ValueKind != JsonValueKind.String || !IsoDuration.TryParse(intervalElement.GetString()!, out var parsedInterval) || parsedInterval <= TimeSpan.Zero)
            {
                problems.Add(path + ".interval", $"expected a positive ISO 8601 duration such as PT5M or PT1H, got {EndpointConfig.Describe(intervalElement)}");
            }
            else if (parsedInterval > MaxInterval)
            {
                problems.Add(path + ".interval", $"expected a duration of at most P31D (a month), got {EndpointConfig.Describe(intervalElement)}");
            }
            else
            {
                interval = parsedInterval;
            }
        }

        return stream is not null && syncMode is { } mode ? new ResourceConfig(stream, mode, interval ?? DefaultInterval(mode)) : null;
    }
}
