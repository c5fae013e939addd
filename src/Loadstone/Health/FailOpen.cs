using Microsoft.Extensions.Logging;

namespace Loadstone;

/// <summary>
/// Fail-open, as an ALB target group's routing failover or Envoy's panic threshold: whether too few members are healthy
/// (in the pool, or in a zone when zones are routed per zone), and the episodes of it (logged and counted once each,
/// start-up excepted).
/// </summary>
internal sealed partial class FailOpen(PoolTelemetry telemetry, ILogger logger)
{
    private bool _inEpisode;
    private IReadOnlyList<string?> _failingZones = [];

    /// <summary>Whether either threshold of <paramref name="options"/> is breached.</summary>
    public static bool IsBreached(int members, int healthy, FailOpenOptions options) =>
        members > 0 && (healthy < options.MinimumHealthyCount || healthy * 100 < options.MinimumHealthyPercent * members);

    /// <summary>
    /// An ALB with cross-zone load balancing off, per zone: a zone that breaches the thresholds while it still has a healthy
    /// endpoint routes to all of its own endpoints (routing failover), and one with no healthy endpoint at all is left to
    /// the other zones (DNS failover, whose default threshold is one healthy target). Marks the members of zones failing
    /// open; control plane only.
    /// </summary>
    /// <param name="members">The pool's members, with their health for this snapshot.</param>
    /// <param name="options">The fail-open thresholds, applied to each zone.</param>
    /// <param name="perZone">Whether zones are routed per zone and the pool as a whole is not failing open.</param>
    /// <returns>The zones failing open, in the order members name them.</returns>
    public static IReadOnlyList<string?> MarkFailingOpenZones(List<EndpointState> members, FailOpenOptions options, bool perZone)
    {
        List<string?>? failing = null;
        if (perZone && options.Enabled)
        {
            foreach (var zone in members.GroupBy(s => s.Endpoint.Zone, StringComparer.OrdinalIgnoreCase))
            {
                var healthy = zone.Count(s => s.IsRoutable);
                if (healthy > 0 && IsBreached(zone.Count(), healthy, options))
                {
                    (failing ??= []).Add(zone.Key);
                }
            }
        }

        foreach (var state in members)
        {
            state.InFailingOpenZone = failing?.Contains(state.Endpoint.Zone, StringComparer.OrdinalIgnoreCase) == true;
        }

        return failing ?? [];
    }

    /// <summary>Logs and counts the start and end of episodes as snapshots are published. Control plane only.</summary>
    public void Observe(PoolSnapshot snapshot)
    {
        foreach (var zone in snapshot.FailingOpenZones.Except(_failingZones, StringComparer.OrdinalIgnoreCase))
        {
            Log.ZoneFailOpenStarted(logger, telemetry.ServiceName, zone ?? "(none)");
            telemetry.RecordZoneFailOpenEpisode(zone);
        }

        foreach (var zone in _failingZones.Except(snapshot.FailingOpenZones, StringComparer.OrdinalIgnoreCase))
        {
            Log.ZoneFailOpenEnded(logger, telemetry.ServiceName, zone ?? "(none)");
        }

        _failingZones = snapshot.FailingOpenZones;
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

        [LoggerMessage(402, LogLevel.Warning, "Service '{Service}': zone {Zone} is failing open: too few of its endpoints are healthy, so its share goes to all of them.", EventName = "ZoneFailOpenStarted")]
        public static partial void ZoneFailOpenStarted(ILogger logger, string service, string zone);

        [LoggerMessage(403, LogLevel.Information, "Service '{Service}': zone {Zone} stopped failing open.", EventName = "ZoneFailOpenEnded")]
        public static partial void ZoneFailOpenEnded(ILogger logger, string service, string zone);
    }
}
