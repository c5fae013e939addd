using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Loadstone.Discovery.Tests;

/// <summary>
/// The discovery instruments of the <c>Loadstone</c> meter (the process-wide one the DNS and etcd sources share), each
/// read by a <see cref="MetricCollector{T}"/>, keeping the measurements tagged with one service: tests run in parallel.
/// </summary>
internal sealed class MetricRecorder : IDisposable
{
    private static readonly string[] s_counters =
    [
        "loadstone.discovery.dns.updates", "loadstone.discovery.dns.failures", "loadstone.discovery.dns.rejections",
        "loadstone.discovery.etcd.updates", "loadstone.discovery.etcd.rejections", "loadstone.discovery.etcd.resyncs",
        "loadstone.discovery.etcd.registrations", "loadstone.discovery.etcd.registration.failures",
    ];

    private static readonly string[] s_gauges = ["loadstone.discovery.dns.staleness", "loadstone.discovery.etcd.staleness"];

    private readonly string _service;
    private readonly List<MetricCollector<long>> _counters;
    private readonly List<MetricCollector<double>> _gauges;

    public MetricRecorder(string service)
    {
        _service = service;
        _counters = s_counters.Select(name => new MetricCollector<long>((object?)null, LoadstoneMetrics.MeterName, name)).ToList();
        _gauges = s_gauges.Select(name => new MetricCollector<double>((object?)null, LoadstoneMetrics.MeterName, name)).ToList();
    }

    /// <summary>This service's measurements so far (the gauges' as of the last <see cref="Observe"/>).</summary>
    public IReadOnlyList<(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)> Measurements =>
        _counters.SelectMany(c => Of(c, v => v)).Concat(_gauges.SelectMany(g => Of(g, v => v))).ToList();

    public double Sum(string instrument) => Measurements.Where(m => m.Instrument == instrument).Sum(m => m.Value);

    /// <summary>Reads the observable gauges now.</summary>
    public void Observe() => _gauges.ForEach(g => g.RecordObservableInstruments());

    public void Dispose()
    {
        _counters.ForEach(c => c.Dispose());
        _gauges.ForEach(g => g.Dispose());
    }

    private IEnumerable<(string, double, IReadOnlyDictionary<string, object?>)> Of<T>(MetricCollector<T> collector, Func<T, double> value)
        where T : struct =>
        collector.Instrument is not { } instrument
            ? []
            : collector.GetMeasurementSnapshot()
                .Where(m => Equals(m.Tags.GetValueOrDefault("loadstone.service"), _service))
                .Select(m => (instrument.Name, value(m.Value), m.Tags));
}
