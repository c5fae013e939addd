namespace Loadstone.Discovery;

/// <summary>Exponential back-off: <c>delay × 2^(failures − 1)</c>, capped. Shared source file of the discovery packages.</summary>
internal static class Backoff
{
    public static TimeSpan Delay(TimeSpan first, TimeSpan max, int consecutiveFailures)
    {
        if (consecutiveFailures <= 1)
        {
            return first <= max ? first : max;
        }

        // Doubling past 2^30 overflows long before any realistic cap; stop doubling once past the cap.
        var exponent = Math.Min(consecutiveFailures - 1, 30);
        var ticks = first.Ticks * Math.Pow(2, exponent);
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }
}
