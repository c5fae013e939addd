namespace Loadstone.Scaling;

/// <summary>
/// Adds up the views of a fleet of clients for a group's built-in metrics: each client reports what its pool measured
/// (<see cref="BalancerReport"/>, e.g. from a <see cref="PoolLoadMeter"/>), and the group reads, per endpoint, the sum
/// of the in-flight requests and of the request rates over the clients, and their latency weighted by request rate. A
/// client that stops reporting is removed (<see cref="Remove"/>, e.g. when its lease expires); until then its last
/// report counts.
/// </summary>
/// <remarks>Thread-safe: reports arrive from any thread while the group reads.</remarks>
public sealed class FleetLoadAggregator : IScalingMetricsSource
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (BalancerReport Report, DateTimeOffset At)> _clients = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates an aggregator.</summary>
    /// <param name="timeProvider">The clock that stamps reports as they arrive; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    public FleetLoadAggregator(TimeProvider? timeProvider = null) => _time = timeProvider ?? TimeProvider.System;

    /// <summary>The clients whose reports count now.</summary>
    public int ClientCount
    {
        get
        {
            lock (_gate)
            {
                return _clients.Count;
            }
        }
    }

    /// <summary>Replaces a client's report with a newer one, stamped with the time it arrived.</summary>
    /// <param name="clientId">The client's id, unique in the fleet.</param>
    /// <param name="report">What its pool measured.</param>
    public void Report(string clientId, BalancerReport report)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentNullException.ThrowIfNull(report);
        var at = _time.GetUtcNow();
        lock (_gate)
        {
            _clients[clientId] = (report, at);
        }
    }

    /// <summary>Removes a client that left (or whose reports expired).</summary>
    /// <param name="clientId">The client's id.</param>
    /// <returns><see langword="false"/> when it had no report.</returns>
    public bool Remove(string clientId)
    {
        lock (_gate)
        {
            return _clients.Remove(clientId);
        }
    }

    /// <summary>Per endpoint: the sum of in-flight requests and request rates over the clients that route to it, and their latency weighted by rate.</summary>
    /// <returns>The fleet's figures by endpoint id.</returns>
    public IReadOnlyDictionary<string, EndpointLoad> ReadLoad()
    {
        var sums = new Dictionary<string, (double InFlight, double Rate, bool HasRate, double LatencyByRate, double Latency, int Clients)>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var (report, _) in _clients.Values)
            {
                foreach (var (id, load) in report.Endpoints)
                {
                    var s = sums.GetValueOrDefault(id);
                    var rate = load.RequestsPerMinute ?? 0;
                    sums[id] = (s.InFlight + load.InFlightRequests, s.Rate + rate, s.HasRate || load.RequestsPerMinute is not null,
                        s.LatencyByRate + (rate * load.LatencyMilliseconds), s.Latency + load.LatencyMilliseconds, s.Clients + 1);
                }
            }
        }

        var result = new Dictionary<string, EndpointLoad>(sums.Count, StringComparer.Ordinal);
        foreach (var (id, s) in sums)
        {
            var latency = s.Rate > 0 ? s.LatencyByRate / s.Rate : s.Latency / s.Clients;
            result[id] = new EndpointLoad(s.InFlight, s.HasRate ? s.Rate : null, latency);
        }

        return result;
    }

    /// <summary>
    /// Whether some client may still hold the endpoint: its last report routes to it or drains it, or it arrived before
    /// <paramref name="since"/> (before the endpoint left, so it cannot tell).
    /// </summary>
    /// <param name="endpointId">The endpoint's id.</param>
    /// <param name="since">When the endpoint left the group's endpoints.</param>
    public bool Holds(string endpointId, DateTimeOffset since)
    {
        lock (_gate)
        {
            foreach (var (report, at) in _clients.Values)
            {
                if (at <= since || report.Holds(endpointId))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
