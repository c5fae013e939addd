using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Scaling.Tests;

/// <summary>
/// The tests' clock: <see cref="FakeTimeProvider"/> from 2026-01-01T00:00:00Z (a Thursday), moved one step at a time.
/// </summary>
/// <remarks>
/// <see cref="FakeTimeProvider.Advance(TimeSpan)"/> fires every timer that falls due within the jump at the end
/// time, and a periodic timer as many times as its periods fit. The group's rules read the clock in their timer
/// callback (cooldowns start, hooks time out, datapoints close at that time), so the tests move time in steps no
/// longer than the shortest timer period (the group's reconcile interval, the pool's 1 s housekeeping): every timer
/// then fires at its own due time.
/// </remarks>
internal static class TestClock
{
    /// <summary>When every test's clock starts.</summary>
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The default step: the group's default reconcile interval and the pool's housekeeping period.</summary>
    public static readonly TimeSpan DefaultStep = TimeSpan.FromSeconds(1);

    public static FakeTimeProvider Create()
    {
        var time = new FakeTimeProvider();
        time.SetUtcNow(Start);
        return time;
    }

    /// <summary>Moves the clock forward by <paramref name="by"/>, at most <paramref name="step"/> (1 s by default) at a time.</summary>
    public static void AdvanceInSteps(this FakeTimeProvider time, TimeSpan by, TimeSpan? step = null)
    {
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
