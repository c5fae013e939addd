using Loadstone.Scaling;

namespace Loadstone.Tests.Scaling;

public sealed class CronExpressionTests
{
    private static readonly DateTimeOffset s_thursday = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("* * * * *", "2026-01-01T00:01:00Z")]
    [InlineData("*/15 * * * *", "2026-01-01T00:15:00Z")]
    [InlineData("30 8 * * *", "2026-01-01T08:30:00Z")]
    [InlineData("0 8 * * MON-FRI", "2026-01-01T08:00:00Z")]
    [InlineData("0 8 * * SAT,SUN", "2026-01-03T08:00:00Z")]
    [InlineData("0 8 * * 0", "2026-01-04T08:00:00Z")]
    [InlineData("0 8 * * 7", "2026-01-04T08:00:00Z")]
    [InlineData("0 0 1 * *", "2026-02-01T00:00:00Z")]
    [InlineData("0 0 * FEB *", "2026-02-01T00:00:00Z")]
    [InlineData("5-10/5 2 * * *", "2026-01-01T02:05:00Z")]
    [InlineData("0 12 15 * FRI", "2026-01-02T12:00:00Z")] // both day fields restricted: either matches
    [InlineData("0 0 29 2 *", "2028-02-29T00:00:00Z")]
    public void GetNextOccurrence_Utc(string expression, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture),
            CronExpression.Parse(expression).GetNextOccurrence(s_thursday));

    [Fact]
    public void GetNextOccurrence_IsStrictlyAfter() =>
        Assert.Equal(s_thursday.AddDays(1), CronExpression.Parse("0 0 * * *").GetNextOccurrence(s_thursday));

    [Fact]
    public void GetNextOccurrence_Impossible_Null() =>
        Assert.Null(CronExpression.Parse("0 0 30 2 *").GetNextOccurrence(s_thursday));

    [Theory]
    [InlineData("* * * *", "has 4 fields")]
    [InlineData("60 * * * *", "minute value '60' is not in 0-59")]
    [InlineData("* * * 13 *", "month value '13' is not in 1-12")]
    [InlineData("* * * * FOO", "day-of-week value 'FOO'")]
    [InlineData("10-5 * * * *", "range '10-5' runs backwards")]
    [InlineData("*/0 * * * *", "minute field '*/0' is not valid")]
    public void Parse_Invalid_MessageNamesField(string expression, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => CronExpression.Parse(expression));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    private static TimeZoneInfo NewYork => TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    [Fact]
    public void GetNextOccurrence_TimeZone_WinterAndSummerOffsets()
    {
        var cron = CronExpression.Parse("0 8 * * *");
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 13, 0, 0, TimeSpan.Zero), cron.GetNextOccurrence(s_thursday, NewYork));
        Assert.Equal(new DateTimeOffset(2026, 7, 1, 12, 0, 0, TimeSpan.Zero),
            cron.GetNextOccurrence(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero), NewYork));
    }

    [Fact]
    public void GetNextOccurrence_SkippedBySpringForward_RunsAfterTheGap()
    {
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist.
        var next = CronExpression.Parse("30 2 * * *").GetNextOccurrence(new DateTimeOffset(2026, 3, 8, 0, 0, 0, TimeSpan.FromHours(-5)), NewYork);
        Assert.Equal(new DateTimeOffset(2026, 3, 8, 3, 0, 0, TimeSpan.FromHours(-4)), next);
    }

    [Fact]
    public void GetNextOccurrence_RepeatedByFallBack_RunsOnceAtFirst()
    {
        // 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
        var cron = CronExpression.Parse("30 1 * * *");
        var first = cron.GetNextOccurrence(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.FromHours(-4)), NewYork);
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 1, 30, 0, TimeSpan.FromHours(-4)), first);
        var second = cron.GetNextOccurrence(first!.Value, NewYork);
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 1, 30, 0, TimeSpan.FromHours(-5)), second);
    }
}
