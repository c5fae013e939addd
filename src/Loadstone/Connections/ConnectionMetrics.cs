using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Loadstone;

/// <summary>The connection instruments, on the library's meter (<see cref="LoadstoneMetrics.MeterName"/>).</summary>
internal static class ConnectionMetrics
{
    internal const string ErrorTag = "loadstone.connection.error";

    /// <summary>
    /// Bucket boundaries of <c>loadstone.connection.duration</c>, in seconds: 10 ms to 1 h. Connections live from a
    /// request (milliseconds) to a pooled client's lifetime (minutes, hours), far beyond the default boundaries' 10 s.
    /// </summary>
    internal static readonly double[] DurationBoundaries =
        [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

    internal static readonly Counter<long> Opened = LoadstoneMetrics.Meter.CreateCounter<long>(
        "loadstone.connections.opened", "{connection}", "Connections opened by connection balancing.");

    internal static readonly Counter<long> Failed = LoadstoneMetrics.Meter.CreateCounter<long>(
        "loadstone.connections.failed", "{attempt}", "Connect attempts that failed, by error (a connect may try several endpoints).");

    internal static readonly UpDownCounter<long> Active = LoadstoneMetrics.Meter.CreateUpDownCounter<long>(
        "loadstone.connections.active", "{connection}", "Connections open now.");

    internal static readonly Histogram<double> Duration = LoadstoneMetrics.Meter.CreateHistogram(
        "loadstone.connection.duration", "s", "How long connections stayed open, from connected to closed.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBoundaries });

    internal static void RecordOpened(string service, LoadBalancedEndpoint endpoint)
    {
        if (Opened.Enabled || Active.Enabled)
        {
            var tags = Tags(service, endpoint);
            Opened.Add(1, tags);
            Active.Add(1, tags);
        }
    }

    internal static void RecordClosed(string service, LoadBalancedEndpoint endpoint, double seconds)
    {
        if (Active.Enabled || Duration.Enabled)
        {
            var tags = Tags(service, endpoint);
            Active.Add(-1, tags);
            Duration.Record(seconds, tags);
        }
    }

    internal static void RecordFailed(string service, LoadBalancedEndpoint endpoint, ConnectError error)
    {
        if (Failed.Enabled)
        {
            var tags = Tags(service, endpoint);
            tags.Add(ErrorTag, ErrorName(error));
            Failed.Add(1, tags);
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
