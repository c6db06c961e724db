using System.Globalization;
using System.Text.RegularExpressions;

namespace SourceStripe.Config;

/// <summary>ISO 8601 durations as Flow users write them: <c>PT5M</c>, <c>PT1H30M</c>, <c>P1D</c>, <c>PT0.5S</c>.</summary>
public static partial class IsoDuration
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var match = Pattern().Match(text);
        if (!match.Success || text is "P" or "PT" || text.EndsWith('T'))
        {
            return false;
        }
        // In seconds first: a huge count (P99999999999D) is then simply too long (3,000 years and more), never an overflow.
        var seconds = (Number(match, "w") * 7 + Number(match, "d")) * 86400
            + Number(match, "h") * 3600
            + Number(match, "m") * 60
            + Number(match, "s");
        if (seconds >= 1e11)
        {
            duration = TimeSpan.MaxValue;
            return true;
        }
        duration = TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
        return true;
    }

    public static string Format(TimeSpan duration) =>
        duration.TotalDays >= 1 && duration.Ticks % TimeSpan.TicksPerDay == 0 ? $"P{(long)duration.TotalDays}D"
        : duration.Ticks % TimeSpan.TicksPerHour == 0 ? $"PT{(long)duration.TotalHours}H"
        : duration.Ticks % TimeSpan.TicksPerMinute == 0 ? $"PT{(long)duration.TotalMinutes}M"
        : $"PT{duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)}S";

    private static double Number(Match match, string group) =>
        match.Groups[group].Success ? double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^P(?:(?<w>\d+)W)?(?:(?<d>\d+)D)?(?:T(?:(?<h>\d+)H)?(?:(?<m>\d+)M)?(?:(?<s>\d+(?:\.\d+)?)S)?)?$")]
    private static partial Regex Pattern();
}
