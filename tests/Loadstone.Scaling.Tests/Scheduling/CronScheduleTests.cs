using System.Globalization;

namespace Loadstone.Scaling.Tests;

public sealed class CronScheduleTests
{
    private static readonly DateTimeOffset s_thursday = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static TimeZoneInfo NewYork => TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("* * * * *", "2026-01-01T00:01:00Z")]
    [InlineData("*/15 * * * *", "2026-01-01T00:15:00Z")]
    [InlineData("30 8 * * *", "2026-01-01T08:30:00Z")]
    [InlineData("0 8 * * MON-FRI", "2026-01-01T08:00:00Z")]
    [InlineData("0 8 * * mon-fri", "2026-01-01T08:00:00Z")]
    [InlineData("0 8 * * SAT,SUN", "2026-01-03T08:00:00Z")]
    [InlineData("0 8 * * 0", "2026-01-04T08:00:00Z")]
    [InlineData("0 8 * * 7", "2026-01-04T08:00:00Z")]
    [InlineData("0 0 1 * *", "2026-02-01T00:00:00Z")]
    [InlineData("0 0 * FEB *", "2026-02-01T00:00:00Z")]
    [InlineData("5-10/5 2 * * *", "2026-01-01T02:05:00Z")]
    [InlineData("0 0 29 2 *", "2028-02-29T00:00:00Z")]
    [InlineData("0 0 L * *", "2026-01-31T00:00:00Z")]
    [InlineData("0 0 * * FRI#3", "2026-01-16T00:00:00Z")]
    [InlineData("0 12 ? * FRI", "2026-01-02T12:00:00Z")]
    public void GetNextOccurrence_Utc(string expression, string expected) =>
        Assert.Equal(Utc(expected), CronSchedule.Parse(expression).GetNextOccurrence(s_thursday));

    [Theory]
    [InlineData("0 12 15 * FRI", "2026-01-02T12:00:00Z")] // Friday the 2nd: the day-of-week field alone matches
    [InlineData("0 12 1,2 * MON", "2026-01-01T12:00:00Z")] // Thursday the 1st: the day-of-month field alone matches
    [InlineData("0 0 13 * FRI", "2026-01-02T00:00:00Z")]
    public void GetNextOccurrence_BothDayFieldsRestricted_EitherMatches(string expression, string expected)
    {
        var schedule = CronSchedule.Parse(expression);
        Assert.True(schedule.MatchesEitherDayField);
        Assert.Equal(Utc(expected), schedule.GetNextOccurrence(s_thursday));
    }

    [Fact]
    public void GetNextOccurrence_BothDayFieldsRestricted_RunsOnEveryDayEitherFieldNames()
    {
        // Every 15th and every Friday of January 2026, at noon: Fridays 2, 9, 16, 23, 30 and Thursday the 15th.
        var schedule = CronSchedule.Parse("0 12 15 * FRI");
        var runs = new List<int>();
        for (var next = schedule.GetNextOccurrence(s_thursday); next is { Month: 1 } run; next = schedule.GetNextOccurrence(run))
        {
            runs.Add(run.Day);
        }

        Assert.Equal([2, 9, 15, 16, 23, 30], runs);
    }

    [Theory]
    [InlineData("0 12 15 * *")]
    [InlineData("0 12 * * FRI")]
    [InlineData("0 12 ? * FRI")]
    [InlineData("0 12 15 * ?")]
    public void Parse_OneDayFieldUnrestricted_OneExpression(string expression) =>
        Assert.False(CronSchedule.Parse(expression).MatchesEitherDayField);

    [Fact]
    public void GetNextOccurrence_IsStrictlyAfter() =>
        Assert.Equal(s_thursday.AddDays(1), CronSchedule.Parse("0 0 * * *").GetNextOccurrence(s_thursday));

    [Fact]
    public void GetNextOccurrence_Impossible_Null() =>
        Assert.Null(CronSchedule.Parse("0 0 30 2 *").GetNextOccurrence(s_thursday));

    [Theory]
    [InlineData("* * * *", "has 4 fields; expected 5 (minute hour day-of-month month day-of-week)")]
    [InlineData("0 * * * * *", "has 6 fields; expected 5")]
    [InlineData("@daily", "has 1 field; expected 5")]
    [InlineData("60 * * * *", "is not valid: Minutes: Value must be a number between 0 and 59")]
    [InlineData("0 25 * * *", "is not valid: Hours: Value must be a number between 0 and 23")]
    [InlineData("* * * 13 *", "is not valid: Months: Value must be a number between 1 and 12")]
    [InlineData("* * * * FOO", "is not valid: Days of week:")]
    [InlineData("*/0 * * * *", "is not valid: Minutes:")]
    [InlineData("0 0 40 * FRI", "is not valid: Days of month:")] // checked in the day-of-month half of an either-day expression
    public void Parse_Invalid_MessageNamesExpressionAndField(string expression, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => CronSchedule.Parse(expression));
        Assert.StartsWith($"Cron expression '{expression}' ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetNextOccurrence_TimeZone_WinterAndSummerOffsets()
    {
        var cron = CronSchedule.Parse("0 8 * * *");
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 13, 0, 0, TimeSpan.Zero), cron.GetNextOccurrence(s_thursday, NewYork));
        Assert.Equal(new DateTimeOffset(2026, 7, 1, 12, 0, 0, TimeSpan.Zero),
            cron.GetNextOccurrence(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero), NewYork));
    }

    [Fact]
    public void GetNextOccurrence_SkippedBySpringForward_RunsAtTheEndOfTheGap()
    {
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist.
        var next = CronSchedule.Parse("30 2 * * *").GetNextOccurrence(new DateTimeOffset(2026, 3, 8, 0, 0, 0, TimeSpan.FromHours(-5)), NewYork);
        Assert.Equal(new DateTimeOffset(2026, 3, 8, 3, 0, 0, TimeSpan.FromHours(-4)), next);
    }

    [Fact]
    public void GetNextOccurrence_RepeatedByFallBack_FixedHourRunsOnceAtFirst()
    {
        // 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
        var cron = CronSchedule.Parse("30 1 * * *");
        var first = cron.GetNextOccurrence(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.FromHours(-4)), NewYork);
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 1, 30, 0, TimeSpan.FromHours(-4)), first);
        var second = cron.GetNextOccurrence(first!.Value, NewYork);
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 1, 30, 0, TimeSpan.FromHours(-5)), second);
    }

    [Fact]
    public void GetNextOccurrence_RepeatedByFallBack_IntervalRunsInBothHours()
    {
        var cron = CronSchedule.Parse("*/30 * * * *");
        var runs = new List<DateTimeOffset>();
        var at = new DateTimeOffset(2026, 11, 1, 0, 45, 0, TimeSpan.FromHours(-4));
        for (var i = 0; i < 5; i++)
        {
            at = cron.GetNextOccurrence(at, NewYork)!.Value;
            runs.Add(at);
        }

        Assert.Equal(
        [
            new DateTimeOffset(2026, 11, 1, 1, 0, 0, TimeSpan.FromHours(-4)),
            new DateTimeOffset(2026, 11, 1, 1, 30, 0, TimeSpan.FromHours(-4)),
            new DateTimeOffset(2026, 11, 1, 1, 0, 0, TimeSpan.FromHours(-5)),
            new DateTimeOffset(2026, 11, 1, 1, 30, 0, TimeSpan.FromHours(-5)),
            new DateTimeOffset(2026, 11, 1, 2, 0, 0, TimeSpan.FromHours(-5)),
        ], runs);
    }

    [Fact]
    public void GetNextOccurrence_EitherDayFieldInTimeZone_UsesLocalDates()
    {
        // 08:00 in New York is 13:00 UTC in January. Saturday the 3rd matches by day of week, Thursday the 15th by day of month.
        var cron = CronSchedule.Parse("0 8 15 * SAT");
        Assert.Equal(new DateTimeOffset(2026, 1, 3, 13, 0, 0, TimeSpan.Zero), cron.GetNextOccurrence(s_thursday, NewYork));
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 13, 0, 0, TimeSpan.Zero),
            cron.GetNextOccurrence(new DateTimeOffset(2026, 1, 11, 0, 0, 0, TimeSpan.Zero), NewYork));
    }
}
