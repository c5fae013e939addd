using Cronos;

namespace Loadstone.Scaling;

/// <summary>
/// A scheduled action's recurrence: a standard 5-field cron expression (<c>minute hour day-of-month month
/// day-of-week</c>) parsed and evaluated by Cronos, with the day rule of Unix cron and Auto Scaling.
/// </summary>
/// <remarks>
/// <para>
/// Cronos requires both day fields to match when both are restricted (<c>0 12 15 * FRI</c>: a Friday the 15th);
/// Unix cron (Vixie cron, which Auto Scaling's Recurrence follows) runs when either matches (every 15th and every
/// Friday). This class keeps the Unix rule: when neither day field is <c>*</c> or <c>?</c>, the expression is
/// evaluated as two Cronos expressions, one per day field with the other set to <c>*</c>, and the earlier occurrence
/// wins. Only a field that is exactly <c>*</c> or <c>?</c> counts as unrestricted (<c>*/2</c> is restricted).
/// </para>
/// <para>
/// Time zones and daylight saving are Cronos's: a time skipped by a forward jump runs at the end of the gap; in a
/// repeated hour, an expression with fixed hours runs once, at the first occurrence, while one that steps through
/// every hour (<c>*/30 * * * *</c>) runs in both.
/// </para>
/// </remarks>
internal sealed class CronSchedule
{
    private const string FieldNames = "minute hour day-of-month month day-of-week";

    private readonly CronExpression _first;
    private readonly CronExpression? _second;

    private CronSchedule(string text, CronExpression first, CronExpression? second)
    {
        Text = text;
        _first = first;
        _second = second;
    }

    /// <summary>The expression as given.</summary>
    public string Text { get; }

    /// <summary>Whether both day fields are restricted, so that a day matches when either does.</summary>
    public bool MatchesEitherDayField => _second is not null;

    /// <summary>Parses an expression.</summary>
    /// <exception cref="FormatException">Not 5 fields, or a field Cronos rejects; the message names the field.</exception>
    public static CronSchedule Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var fields = expression.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            throw new FormatException($"Cron expression '{expression}' has {fields.Length} field{(fields.Length == 1 ? "" : "s")}; expected 5 ({FieldNames}).");
        }

        if (IsUnrestricted(fields[2]) || IsUnrestricted(fields[4]))
        {
            return new CronSchedule(expression, Compile(expression, string.Join(' ', fields)), null);
        }

        var byDayOfMonth = Compile(expression, $"{fields[0]} {fields[1]} {fields[2]} {fields[3]} *");
        var byDayOfWeek = Compile(expression, $"{fields[0]} {fields[1]} * {fields[3]} {fields[4]}");
        return new CronSchedule(expression, byDayOfMonth, byDayOfWeek);
    }

    /// <summary>
    /// The first time strictly after <paramref name="after"/> that matches, reading the fields as wall-clock time in
    /// <paramref name="timeZone"/>.
    /// </summary>
    /// <param name="after">The instant to search from (exclusive).</param>
    /// <param name="timeZone">The time zone; <see langword="null"/> for UTC.</param>
    /// <returns>The next occurrence, or <see langword="null"/> if there is none (e.g. <c>0 0 30 2 *</c>).</returns>
    public DateTimeOffset? GetNextOccurrence(DateTimeOffset after, TimeZoneInfo? timeZone = null)
    {
        var zone = timeZone ?? TimeZoneInfo.Utc;
        var first = _first.GetNextOccurrence(after, zone);
        if (_second?.GetNextOccurrence(after, zone) is not { } second)
        {
            return first;
        }

        return first is { } f && f <= second ? f : second;
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private static bool IsUnrestricted(string field) => field is "*" or "?";

    private static CronExpression Compile(string original, string expression)
    {
        try
        {
            return CronExpression.Parse(expression, CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            // Cronos's message starts with a generic sentence, then names the field ("Minutes: Value must be ...").
            const string Generic = "The given cron expression has an invalid format. ";
            var detail = ex.Message.StartsWith(Generic, StringComparison.Ordinal) ? ex.Message[Generic.Length..] : ex.Message;
            throw new FormatException($"Cron expression '{original}' is not valid: {detail}", ex);
        }
    }
}
