using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Loadstone.OpenTelemetrySample;

/// <summary>
/// The whole wiring: subscribe OpenTelemetry to the Loadstone meter and activity source by name. Swap the collecting
/// exporters below for OTLP, Prometheus or console exporters in a real application; the two names stay the same.
/// The test project compiles this same file, so the wiring it checks is the wiring the sample runs.
/// </summary>
internal static class LoadstoneOpenTelemetry
{
    public static MeterProvider StartMetrics(BaseExporter<Metric> exporter) =>
        Sdk.CreateMeterProviderBuilder()
            .AddMeter(LoadstoneMetrics.MeterName)
            .AddReader(new BaseExportingMetricReader(exporter) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative })
            .Build();

    public static TracerProvider StartTraces(BaseExporter<Activity> exporter) =>
        Sdk.CreateTracerProviderBuilder()
            .AddSource(LoadstoneActivitySource.Name)
            .SetSampler(new AlwaysOnSampler())
            .AddProcessor(new SimpleActivityExportProcessor(exporter))
            .Build();
}

/// <summary>One metric point as OpenTelemetry exported it: counters give a sum, gauges their last value, histograms count and sum.</summary>
internal sealed record ExportedPoint(string Name, string Unit, MetricType Type, IReadOnlyDictionary<string, string?> Tags, double Value, long Count)
{
    public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value : null;
}

/// <summary>Keeps the points of the latest export (cumulative temporality: each export holds the totals so far).</summary>
internal sealed class CollectingMetricExporter : BaseExporter<Metric>
{
    private volatile IReadOnlyList<ExportedPoint> _latest = [];

    public IReadOnlyList<ExportedPoint> Latest => _latest;

    public override ExportResult Export(in Batch<Metric> batch)
    {
        var points = new List<ExportedPoint>();
        foreach (var metric in batch)
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var tags = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var tag in point.Tags)
                {
                    tags[tag.Key] = tag.Value?.ToString();
                }

                var (value, count) = metric.MetricType switch
                {
                    MetricType.LongSum or MetricType.LongSumNonMonotonic => ((double)point.GetSumLong(), 1L),
                    MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => (point.GetSumDouble(), 1L),
                    MetricType.LongGauge => ((double)point.GetGaugeLastValueLong(), 1L),
                    MetricType.DoubleGauge => (point.GetGaugeLastValueDouble(), 1L),
                    MetricType.Histogram => (point.GetHistogramSum(), point.GetHistogramCount()),
                    _ => (double.NaN, 0L),
                };
                points.Add(new ExportedPoint(metric.Name, metric.Unit, metric.MetricType, tags, value, count));
            }
        }

        _latest = points;
        return ExportResult.Success;
    }
}

/// <summary>Keeps every exported activity.</summary>
internal sealed class CollectingActivityExporter : BaseExporter<Activity>
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<Activity> _exported = new();

    public IReadOnlyList<Activity> Exported => _exported.ToArray();

    public override ExportResult Export(in Batch<Activity> batch)
    {
        foreach (var activity in batch)
        {
            _exported.Enqueue(activity);
        }

        return ExportResult.Success;
    }
}
