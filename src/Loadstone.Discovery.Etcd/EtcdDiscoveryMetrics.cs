using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Loadstone.Discovery.Etcd;

/// <summary>
/// The etcd sources' and registrations' instruments, on the library's meter (<see cref="LoadstoneMetrics.MeterName"/>,
/// <c>Loadstone</c>), so one <c>AddMeter("Loadstone")</c> collects them with the pools' metrics.
/// </summary>
internal static class EtcdDiscoveryMetrics
{
    public const string ServiceTag = "loadstone.service";
    public const string SourceTag = "loadstone.discovery.source";
    public const string ReasonTag = "loadstone.discovery.reason";
    public const string KeyTag = "loadstone.discovery.key";

    private static readonly Meter s_meter = new(LoadstoneMetrics.MeterName, typeof(EtcdDiscoveryMetrics).Assembly.GetName().Version?.ToString());
    private static readonly ConcurrentDictionary<EtcdEndpointSource, byte> s_sources = new();

    public static readonly Counter<long> Updates = s_meter.CreateCounter<long>(
        "loadstone.discovery.etcd.updates", "{update}", "Changes of an etcd source's endpoints passed to the pools (one per read or watch response that changed them).");

    public static readonly Counter<long> Rejections = s_meter.CreateCounter<long>(
        "loadstone.discovery.etcd.rejections", "{value}", "Values rejected (not a valid endpoint document, or an address another key already has).");

    public static readonly Counter<long> Resyncs = s_meter.CreateCounter<long>(
        "loadstone.discovery.etcd.resyncs", "{resync}", "Full reads of a prefix after the first, by loadstone.discovery.reason: compacted, disconnected.");

    public static readonly Counter<long> Registrations = s_meter.CreateCounter<long>(
        "loadstone.discovery.etcd.registrations", "{registration}",
        "Keys put under a new lease by self-registration, by loadstone.discovery.reason: started, lease_lost, reconnected.");

    public static readonly Counter<long> RegistrationFailures = s_meter.CreateCounter<long>(
        "loadstone.discovery.etcd.registration.failures", "{failure}", "Failed registration attempts and lost keep-alive streams.");

    static EtcdDiscoveryMetrics()
    {
        s_meter.CreateObservableGauge("loadstone.discovery.etcd.staleness", ObserveStaleness, "s",
            "Seconds since each etcd source's watch was lost (0 while it is live).");
    }

    public static KeyValuePair<string, object?>[] Tags(EtcdEndpointSource source) =>
        [new(ServiceTag, source.ServiceName), new(SourceTag, source.Name)];

    public static void Register(EtcdEndpointSource source) => s_sources.TryAdd(source, 0);

    public static void Unregister(EtcdEndpointSource source) => s_sources.TryRemove(source, out _);

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
