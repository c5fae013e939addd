using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Loadstone;

/// <summary>
/// The connection instruments, on the pool's own <c>Loadstone</c> meter (a container's, or the process's shared one):
/// created once per meter, next to the instruments of <see cref="LoadstoneInstruments"/>.
/// </summary>
internal sealed class ConnectionMetrics
{
    internal const string ErrorTag = "loadstone.connection.error";

    /// <summary>
    /// Bucket boundaries of <c>loadstone.connection.duration</c>, in seconds: 10 ms to 1 h. Connections live from a
    /// request (milliseconds) to a pooled client's lifetime (minutes, hours), far beyond the default boundaries' 10 s.
    /// </summary>
    internal static readonly double[] DurationBoundaries =
        [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

    private static readonly ConditionalWeakTable<Meter, ConnectionMetrics> s_byMeter = new();

    private readonly Counter<long> _opened;
    private readonly Counter<long> _failed;
    private readonly UpDownCounter<long> _active;
    private readonly Histogram<double> _duration;

    private ConnectionMetrics(Meter meter)
    {
        _opened = meter.CreateCounter<long>(
            "loadstone.connections.opened", "{connection}", "Connections opened by connection balancing.");
        _failed = meter.CreateCounter<long>(
            "loadstone.connections.failed", "{attempt}", "Connect attempts that failed, by error (a connect may try several endpoints).");
        _active = meter.CreateUpDownCounter<long>(
            "loadstone.connections.active", "{connection}", "Connections open now.");
        _duration = meter.CreateHistogram(
            "loadstone.connection.duration", "s", "How long connections stayed open, from connected to closed.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBoundaries });
    }

    /// <summary>The connection instruments of the pool's meter.</summary>
    public static ConnectionMetrics For(ServicePool pool) =>
        s_byMeter.GetValue(pool.Telemetry.Instruments.Meter, static meter => new ConnectionMetrics(meter));

    public void RecordOpened(string service, LoadBalancedEndpoint endpoint)
    {
        if (_opened.Enabled || _active.Enabled)
        {
            var tags = Tags(service, endpoint);
            _opened.Add(1, tags);
            _active.Add(1, tags);
        }
    }

    public void RecordClosed(string service, LoadBalancedEndpoint endpoint, double seconds)
    {
        if (_active.Enabled || _duration.Enabled)
        {
            var tags = Tags(service, endpoint);
            _active.Add(-1, tags);
            _duration.Record(seconds, tags);
        }
    }

    public void RecordFailed(string service, LoadBalancedEndpoint endpoint, ConnectError error)
    {
        if (_failed.Enabled)
        {
            var tags = Tags(service, endpoint);
            tags.Add(ErrorTag, ErrorName(error));
            _failed.Add(1, tags);
        }
    }

    internal static string ErrorName(ConnectError error) => error switch
    {
        ConnectError.Refused => "refused",
        ConnectError.Timeout => "timeout",
        ConnectError.HostNotFound => "host_not_found",
        ConnectError.Tls => "tls",
        ConnectError.Network => "network",
        ConnectError.DeadlineExceeded => "deadline_exceeded",
        _ => "unknown",
    };

    private static TagList Tags(string service, LoadBalancedEndpoint endpoint) => new()
    {
        { LoadstoneMetrics.ServiceTag, service },
        { LoadstoneMetrics.EndpointTag, endpoint.BaseAddress },
    };
}
