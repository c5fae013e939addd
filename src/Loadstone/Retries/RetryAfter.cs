using System.Net.Http.Headers;

namespace Loadstone;

/// <summary>
/// <c>Retry-After</c> on a 429 or 503: the endpoint asked for a pause, so picks avoid it (while another candidate exists)
/// for the advised time, at most <see cref="OutlierDetectionOptions.MaxRetryAfter"/>. The request itself is retried on
/// another endpoint at once when it may be; nothing waits.
/// </summary>
internal static class RetryAfter
{
    /// <param name="pool">The endpoint's pool (options and clock).</param>
    /// <param name="state">The endpoint that answered.</param>
    /// <param name="value">Its <c>Retry-After</c>: a number of seconds or a date.</param>
    /// <param name="now">The timestamp the answer was seen at, on the pool's clock.</param>
    public static void Apply(ServicePool pool, EndpointState state, RetryConditionHeaderValue value, long now)
    {
        var passive = pool.Options.HealthChecks.Passive;
        if (!passive.Enabled || passive.MaxRetryAfter <= TimeSpan.Zero)
        {
            return;
        }

        var pause = value.Delta ?? (value.Date is { } date ? date - pool.TimeProvider.GetUtcNow() : TimeSpan.Zero);
        if (pause <= TimeSpan.Zero)
        {
            return;
        }

        if (pause > passive.MaxRetryAfter)
        {
            pause = passive.MaxRetryAfter;
        }

        state.AvoidUntil(now + (long)(pause.TotalSeconds * pool.TimeProvider.TimestampFrequency));
    }
}
