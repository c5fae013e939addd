using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Loadstone.Discovery.Dns;

/// <summary>
/// The DNS sources' instruments, on the library's meter (<see cref="LoadstoneMetrics.MeterName"/>, <c>Loadstone</c>), so
/// one <c>AddMeter("Loadstone")</c> collects them with the pools' metrics. Tags: the service and the source's name.
/// </summary>
internal static class DnsDiscoveryMetrics
{
    public const string ServiceTag = "loadstone.service";
    public const string SourceTag = "loadstone.discovery.source";
    public const string ErrorTypeTag = "error.type";

    private static readonly Meter s_meter = new(LoadstoneMetrics.MeterName, typeof(DnsDiscoveryMetrics).Assembly.GetName().Version?.ToString());
    private static readonly ConcurrentDictionary<DnsEndpointSource, byte> s_sources = new();

    public static readonly Counter<long> Updates = s_meter.CreateCounter<long>(
        "loadstone.discovery.dns.updates", "{update}", "Lookups that found a different set of endpoints and passed it to the pools.");

    public static readonly Counter<long> Failures = s_meter.CreateCounter<long>(
        "loadstone.discovery.dns.failures", "{lookup}",
        "Failed lookups (the last good endpoints were kept), by error.type: timeout, unreachable, servfail, refused, empty, other.");

    public static readonly Counter<long> Rejections = s_meter.CreateCounter<long>(
        "loadstone.discovery.dns.rejections", "{record}", "Records skipped: SRV targets without addresses, repeated addresses.");

    static DnsDiscoveryMetrics()
    {
        s_meter.CreateObservableGauge("loadstone.discovery.dns.staleness", ObserveStaleness, "s",
            "Seconds since each DNS source's last good answer; it grows while lookups fail.");
    }

    public static KeyValuePair<string, object?>[] Tags(DnsEndpointSource source) =>
        [new(ServiceTag, source.ServiceName), new(SourceTag, source.Name)];

    public static void Register(DnsEndpointSource source) => s_sources.TryAdd(source, 0);

    public static void Unregister(DnsEndpointSource source) => s_sources.TryRemove(source, out _);

    private static IEnumerable<Measurement<double>> ObserveStaleness()
    {
        foreach (var source in s_sources.Keys)
        {
            if (source.Staleness is { } age)
            {
                yield return new Measurement<double>(age.TotalSeconds, Tags(source));
            }
        }
    }
}
