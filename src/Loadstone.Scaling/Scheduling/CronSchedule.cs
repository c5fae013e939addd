using System.Globalization;

namespace Loadstone.Scaling;

/// <summary>
/// A standard 5-field cron expression (<c>minute hour day-of-month month day-of-week</c>), as in scheduled actions'
/// Recurrence. Fields accept <c>*</c>, numbers, ranges <c>a-b</c>, lists <c>a,b</c>, steps <c>*/n</c> and
/// <c>a-b/n</c>, month names (JAN–DEC) and day names (SUN–SAT; 0 and 7 are Sunday). When both day fields are
/// restricted, a day matches if either does (as Vixie cron).
/// </summary>
public sealed class CronExpression
{
    private static readonly string[] s_months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] s_days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private readonly bool[] _minutes;
    private readonly bool[] _hours;
    private readonly bool[] _daysOfMonth;
    private readonly bool[] _months;
    private readonly bool[] _daysOfWeek;
    private readonly bool _domRestricted;
    private readonly bool _dowRestricted;

    private CronExpression(string text, bool[] minutes, bool[] hours, bool[] dom, bool[] months, bool[] dow, bool domRestricted, bool dowRestricted)
    {
        Text = text;
        _minutes = minutes;
        _hours = hours;
        _daysOfMonth = dom;
        _months = months;
        _daysOfWeek = dow;
        _domRestricted = domRestricted;
        _dowRestricted = dowRestricted;
    }

    /// <summary>The expression as given.</summary>
    public string Text { get; }

    /// <summary>Parses an expression.</summary>
    /// <param name="expression">Five fields separated by spaces, e.g. <c>0 8 * * MON-FRI</c>.</param>
    /// <exception cref="FormatException">The expression is not valid; the message names the field.</exception>
    public static CronExpression Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var fields = expression.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            throw new FormatException($"Cron expression '{expression}' has {fields.Length} fields; expected 5 (minute hour day-of-month month day-of-week).");
        }

        var minutes = ParseField(expression, "minute", fields[0], 0, 59, null);
        var hours = ParseField(expression, "hour", fields[1], 0, 23, null);
        var dom = ParseField(expression, "day-of-month", fields[2], 1, 31, null);
        var months = ParseField(expression, "month", fields[3], 1, 12, s_months);
        var dow = ParseField(expression, "day-of-week", fields[4], 0, 7, s_days);
        if (dow[7])
        {
            dow[0] = true;
        }

        return new CronExpression(expression, minutes, hours, dom, months, dow,
            !IsStar(fields[2]), !IsStar(fields[4]));
    }

    /// <summary>Parses an expression, returning <see langword="false"/> instead of throwing.</summary>
    /// <param name="expression">The expression.</param>
    /// <param name="result">The parsed expression, or <see langword="null"/>.</param>
    public static bool TryParse(string expression, out CronExpression? result)
    {
        try
        {
            result = Parse(expression);
            return true;
        }
        catch (FormatException)
        {
            result = null;
            return false;
        }
    }

    /// <summary>
    /// The first time strictly after <paramref name="after"/> that matches, reading the fields as wall-clock time in
    /// <paramref name="timeZone"/>. A time skipped by a daylight-saving jump runs at the first valid minute after the
    /// gap; a time that happens twice runs once, at its first occurrence.
    /// </summary>
    /// <param name="after">The instant to search from (exclusive).</param>
    /// <param name="timeZone">The time zone; <see langword="null"/> for UTC.</param>
    /// <returns>The next occurrence, or <see langword="null"/> if none within 5 years (e.g. <c>0 0 30 2 *</c>).</returns>
    public DateTimeOffset? GetNextOccurrence(DateTimeOffset after, TimeZoneInfo? timeZone = null)
    {
        var zone = timeZone ?? TimeZoneInfo.Utc;
        var local = TimeZoneInfo.ConvertTime(after, zone).DateTime;
        var startDay = local.Date;
        for (var d = 0; d < 366 * 5; d++)
        {
            var day = startDay.AddDays(d);
            if (!_months[day.Month] || !DayMatches(day))
            {
                continue;
            }

            for (var h = 0; h < 24; h++)
            {
                if (!_hours[h])
                {
                    continue;
                }

                for (var m = 0; m < 60; m++)
                {
                    if (!_minutes[m])
                    {
                        continue;
                    }

                    var candidate = ToInstant(day.AddHours(h).AddMinutes(m), zone);
                    if (candidate > after)
                    {
                        return candidate;
                    }
                }
            }
        }

        return null;
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private bool DayMatches(DateTime day)
    {
        var domMatch = _daysOfMonth[day.Day];
        var dowMatch = _daysOfWeek[(int)day.DayOfWeek];
        return _domRestricted && _dowRestricted ? domMatch || dowMatch : domMatch && dowMatch;
    }

    private static DateTimeOffset ToInstant(DateTime localTime, TimeZoneInfo zone)
    {
        var unspecified = DateTime.SpecifyKind(localTime, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(unspecified))
        {
            // Skipped by a forward jump: run at the first valid minute after the gap.
            var probe = unspecified;
            for (var i = 0; i < 24 * 60 && zone.IsInvalidTime(probe); i++)
            {
                probe = probe.AddMinutes(1);
            }

            unspecified = probe;
        }

        var offset = zone.IsAmbiguousTime(unspecified)
            ? zone.GetAmbiguousTimeOffsets(unspecified).Max()
            : zone.GetUtcOffset(unspecified);
        return new DateTimeOffset(unspecified, offset);
    }

    private static bool IsStar(string field) => field == "*" || field == "?";

    private static bool[] ParseField(string expression, string name, string field, int min, int max, string[]? names)
    {
        var set = new bool[max + 1];
        foreach (var part in field.Split(','))
        {
            var rangeAndStep = part.Split('/');
            if (rangeAndStep.Length > 2 || part.Length == 0)
            {
                throw Bad();
            }

            int lo, hi;
            var range = rangeAndStep[0];
            if (range is "*" or "?")
            {
                lo = min;
                hi = name == "day-of-week" ? 6 : max;
            }
            else
            {
                var bounds = range.Split('-');
                if (bounds.Length > 2)
                {
                    throw Bad();
                }

                lo = Value(bounds[0]);
                hi = bounds.Length == 2 ? Value(bounds[1]) : lo;
                if (rangeAndStep.Length == 2 && bounds.Length == 1)
                {
                    hi = name == "day-of-week" ? 6 : max;
                }
            }

            var step = 1;
            if (rangeAndStep.Length == 2 && (!int.TryParse(rangeAndStep[1], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1))
            {
                throw Bad();
            }

            if (lo > hi)
            {
                throw new FormatException($"Cron expression '{expression}': the {name} range '{range}' runs backwards.");
            }

            for (var v = lo; v <= hi; v += step)
            {
                set[v] = true;
            }
        }

        return set;

        int Value(string text)
        {
            if (names is not null)
            {
                var index = Array.FindIndex(names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
                if (index >= 0)
                {
                    return names == s_months ? index + 1 : index;
                }
            }

            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            {
                throw new FormatException($"Cron expression '{expression}': the {name} value '{text}' is not in {min}-{max}.");
            }

            return value;
        }

        FormatException Bad() => new($"Cron expression '{expression}': the {name} field '{field}' is not valid.");
    }
}
