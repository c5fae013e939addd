namespace Loadstone.Scaling;

/// <summary>
/// Sets a group's min, max and/or desired capacity at a time or on a recurrence, like an Auto Scaling scheduled
/// action. Values outside the new [min, max] are clamped.
/// </summary>
public sealed class ScheduledAction
{
    /// <summary>The action's name, unique within the group.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// A 5-field Unix cron recurrence (<c>minute hour day-of-month month day-of-week</c>, e.g. <c>0 8 * * MON-FRI</c>),
    /// read in <see cref="TimeZone"/>; <see langword="null"/> for a one-time action at <see cref="StartTime"/>. Fields
    /// take numbers, ranges, lists, steps, month and day names, and Cronos's <c>L</c>, <c>W</c> and <c>#</c>. When both
    /// day fields are restricted, a day matches if either does, as in Unix cron and Auto Scaling.
    /// </summary>
    public string? Recurrence { get; init; }

    /// <summary>When a one-time action runs, or when a recurrence begins; <see langword="null"/> for now.</summary>
    public DateTimeOffset? StartTime { get; init; }

    /// <summary>When a recurrence stops; <see langword="null"/> (the default) for never.</summary>
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>The time zone of <see cref="Recurrence"/>, daylight-saving aware. The default, <see langword="null"/>, is UTC.</summary>
    public TimeZoneInfo? TimeZone { get; init; }

    /// <summary>The new minimum size; <see langword="null"/> to keep it.</summary>
    public int? MinSize { get; init; }

    /// <summary>The new maximum size; <see langword="null"/> to keep it.</summary>
    public int? MaxSize { get; init; }

    /// <summary>The new desired capacity; <see langword="null"/> to keep it (clamped to the new range).</summary>
    public int? DesiredCapacity { get; init; }

    internal CronSchedule? ParsedRecurrence { get; private set; }

    internal void Validate(string where, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            problems.Add($"{where}.Name is required.");
        }

        if (MinSize is null && MaxSize is null && DesiredCapacity is null)
        {
            problems.Add($"{where} sets none of MinSize, MaxSize, DesiredCapacity.");
        }

        if (MinSize is < 0 || MaxSize is < 0 || DesiredCapacity is < 0)
        {
            problems.Add($"{where}: MinSize, MaxSize and DesiredCapacity must not be negative.");
        }

        if (MinSize is { } min && MaxSize is { } max && min > max)
        {
            problems.Add($"{where}.MinSize ({min}) must not exceed MaxSize ({max}).");
        }

        if (Recurrence is null && StartTime is null)
        {
            problems.Add($"{where} needs a Recurrence or a StartTime.");
        }

        if (Recurrence is not null)
        {
            try
            {
                ParsedRecurrence = CronSchedule.Parse(Recurrence);
                if (ParsedRecurrence.GetNextOccurrence(DateTimeOffset.UnixEpoch, TimeZone) is null)
                {
                    problems.Add($"{where}.Recurrence: cron expression '{Recurrence}' never occurs.");
                }
            }
            catch (FormatException ex)
            {
                problems.Add($"{where}.Recurrence: {ex.Message}");
            }
        }

        if (EndTime is { } end && StartTime is { } start && end <= start)
        {
            problems.Add($"{where}.EndTime ({end:O}) must be after StartTime ({start:O}).");
        }
    }

    /// <summary>The next run strictly after <paramref name="after"/>, or <see langword="null"/> when there is none.</summary>
    internal DateTimeOffset? NextRun(DateTimeOffset after)
    {
        DateTimeOffset? next;
        if (ParsedRecurrence is null)
        {
            next = StartTime > after ? StartTime : null;
        }
        else
        {
            var from = StartTime is { } s && s > after ? s - TimeSpan.FromTicks(1) : after;
            next = ParsedRecurrence.GetNextOccurrence(from, TimeZone);
        }

        return next is { } n && EndTime is { } end && n > end ? null : next;
    }
}
