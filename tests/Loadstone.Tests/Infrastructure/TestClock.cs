using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests;

/// <summary>
/// The tests' clock: Microsoft.Extensions.TimeProvider.Testing's <see cref="FakeTimeProvider"/>, from
/// 2026-01-01T00:00:00Z (a Thursday), and a way to move it one step at a time.
/// </summary>
/// <remarks>
/// What <see cref="FakeTimeProvider"/> does, and what a test must know of it:
/// <list type="bullet">
/// <item><see cref="FakeTimeProvider.Advance(TimeSpan)"/> sets the clock to the end of the jump first, then fires every
/// timer that fell due within it, earliest first (a periodic timer once per period that fits), all of them seeing the
/// end time. A timer created or re-armed inside a callback counts from that end time, so a timer that re-arms itself
/// after each run (a health check, a housekeeping loop) fires once per <c>Advance</c>, however long the jump.</item>
/// <item>A timer created or changed with a due time of zero fires at once, inside <c>CreateTimer</c>/<c>Change</c>.</item>
/// <item><see cref="FakeTimeProvider.GetTimestamp"/> is the clock's ticks (10^7 per second, as
/// <see cref="FakeTimeProvider.TimestampFrequency"/> says), so it starts at the start time's ticks, not at 0.</item>
/// <item><see cref="FakeTimeProvider.AutoAdvanceAmount"/> stays zero here: the clock moves only when a test moves it.</item>
/// </list>
/// A test whose subject reads the clock in its timer callbacks (ejection and slow-start times, cooldowns, re-armed
/// checks) therefore moves time with <see cref="AdvanceInSteps"/>, in steps no longer than the shortest period
/// involved: every timer then fires at its own due time, as it would in production.
/// </remarks>
internal static class TestClock
{
    /// <summary>When every test's clock starts: 2026-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The default step of <see cref="AdvanceInSteps"/>: 1 s, the pools' housekeeping period.</summary>
    public static readonly TimeSpan DefaultStep = TimeSpan.FromSeconds(1);

    /// <summary>A fake clock at <paramref name="start"/> (by default <see cref="Start"/>).</summary>
    public static FakeTimeProvider Create(DateTimeOffset? start = null) => new(start ?? Start);

    /// <summary>
    /// Moves the clock forward by <paramref name="by"/>, at most <paramref name="step"/> (1 s by default) at a time, so
    /// that timers due within the jump fire one step at a time, each seeing the clock at (or just after) its due time.
    /// </summary>
    public static void AdvanceInSteps(this FakeTimeProvider time, TimeSpan by, TimeSpan? step = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        var size = step ?? DefaultStep;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(size, TimeSpan.Zero);
        while (by > TimeSpan.Zero)
        {
            var next = by < size ? by : size;
            time.Advance(next);
            by -= next;
        }
    }
}
