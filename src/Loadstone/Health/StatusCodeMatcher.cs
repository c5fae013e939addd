using System.Globalization;

namespace Loadstone;

/// <summary>An ALB-style status matcher: <c>200</c>, <c>200,202</c>, <c>200-299</c>, or a mix.</summary>
internal sealed class StatusCodeMatcher
{
    private readonly (int Low, int High)[] _ranges;

    private StatusCodeMatcher((int, int)[] ranges) => _ranges = ranges;

    public bool Matches(int status)
    {
        foreach (var (low, high) in _ranges)
        {
            if (status >= low && status <= high)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses a matcher; <paramref name="problem"/> says what is wrong when it fails.</summary>
    public static bool TryParse(string? text, out StatusCodeMatcher matcher, out string? problem)
    {
        matcher = new StatusCodeMatcher([]);
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "is empty; use codes and ranges such as 200, 200,202 or 200-299";
            return false;
        }

        var ranges = new List<(int, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var lowText = dash < 0 ? part : part[..dash];
            var highText = dash < 0 ? part : part[(dash + 1)..];
            if (!int.TryParse(lowText, NumberStyles.None, CultureInfo.InvariantCulture, out var low)
                || !int.TryParse(highText, NumberStyles.None, CultureInfo.InvariantCulture, out var high)
                || low < 100 || high > 599 || low > high)
            {
                problem = $"has '{part}', which is not a status code or range between 100 and 599 (such as 200 or 200-299)";
                return false;
            }

            ranges.Add((low, high));
        }

        matcher = new StatusCodeMatcher([.. ranges]);
        return true;
    }
}
