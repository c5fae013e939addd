using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Loadstone.OpenTelemetrySample;

/// <summary>
/// The whole wiring: subscribe OpenTelemetry to the Loadstone meter and activity source by name. The sample exports to
/// OpenTelemetry's in-memory exporters so that it can print what was collected; a real application adds its OTLP,
/// Prometheus or console exporter instead, and the two names stay the same. The test project compiles this same file,
/// so the wiring it checks is the wiring the sample runs.
/// </summary>
internal static class LoadstoneOpenTelemetry
{
    public static MeterProvider StartMetrics(ICollection<MetricSnapshot> exported) =>
        Sdk.CreateMeterProviderBuilder()
            .AddMeter(LoadstoneMetrics.MeterName)
            .AddInMemoryExporter(exported, reader => reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative)
            .Build();

    public static TracerProvider StartTraces(ICollection<Activity> exported) =>
        Sdk.CreateTracerProviderBuilder()
            .AddSource(LoadstoneActivitySource.Name)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(exported)
            .Build();

    /// <summary>
    /// The points of the latest export of each metric (cumulative temporality: an export holds the totals so far):
    /// counters give a sum, gauges their last value, histograms count and sum.
    /// </summary>
    public static IReadOnlyList<ExportedPoint> Latest(IEnumerable<MetricSnapshot> exported) =>
        [.. exported.GroupBy(m => m.Name).Select(g => g.Last()).SelectMany(Points)];

    private static IEnumerable<ExportedPoint> Points(MetricSnapshot metric)
    {
        foreach (var point in metric.MetricPoints)
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
            yield return new ExportedPoint(metric.Name, metric.Unit, metric.MetricType, tags, value, count);
        }
    }
}

/// <summary>One metric point as OpenTelemetry exported it.</summary>
internal sealed record ExportedPoint(string Name, string Unit, MetricType Type, IReadOnlyDictionary<string, string?> Tags, double Value, long Count)
{
    public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value : null;
}
