using Microsoft.Extensions.Logging;

namespace Loadstone;

/// <summary>
/// Fail-open, as an ALB target group's routing failover or Envoy's panic threshold: whether too few members are healthy,
/// and the episodes of it (logged and counted once each, start-up excepted).
/// </summary>
internal sealed partial class FailOpen(PoolTelemetry telemetry, ILogger logger)
{
    private bool _inEpisode;

    /// <summary>Whether either threshold of <paramref name="options"/> is breached.</summary>
    public static bool IsBreached(int members, int healthy, FailOpenOptions options) =>
        members > 0 && (healthy < options.MinimumHealthyCount || healthy * 100 < options.MinimumHealthyPercent * members);

    /// <summary>Logs and counts the start and end of episodes as snapshots are published. Control plane only.</summary>
    public void Observe(PoolSnapshot snapshot)
    {
        // An episode is an endpoint set that was healthy and stopped being so. A pool that starts with every endpoint
        // awaiting its first probe routes to all of them too, but that is start-up, not an episode: no log, no count.
        if (snapshot.FailOpen && !_inEpisode && snapshot.All.Any(s => s.HealthReason != EndpointHealthReason.InitialHealthChecking))
        {
            _inEpisode = true;
            Log.FailOpenStarted(logger, telemetry.ServiceName, snapshot.HealthyCount, snapshot.MemberCount);
            telemetry.RecordFailOpenEpisode();
        }
        else if (!snapshot.FailOpen && _inEpisode)
        {
            _inEpisode = false;
            Log.FailOpenEnded(logger, telemetry.ServiceName, snapshot.HealthyCount, snapshot.MemberCount);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(23, LogLevel.Warning, "Service '{Service}' is failing open: only {Healthy} of {Total} endpoints are healthy, so requests go to all of them.", EventName = "FailOpenStarted")]
        public static partial void FailOpenStarted(ILogger logger, string service, int healthy, int total);

        [LoggerMessage(24, LogLevel.Information, "Service '{Service}' stopped failing open: {Healthy} of {Total} endpoints are healthy.", EventName = "FailOpenEnded")]
        public static partial void FailOpenEnded(ILogger logger, string service, int healthy, int total);
    }
}
