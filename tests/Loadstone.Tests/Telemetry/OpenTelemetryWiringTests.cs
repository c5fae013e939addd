using System.Diagnostics;
using Loadstone.OpenTelemetrySample;
using OpenTelemetry.Metrics;
using static Loadstone.Tests.Health.HealthKit;
using static Loadstone.Tests.Telemetry.TelemetryKit;

namespace Loadstone.Tests.Telemetry;

/// <summary>The OpenTelemetry sample's wiring, run in-process: the metrics and spans read back through OpenTelemetry.</summary>
public sealed class OpenTelemetryWiringTests
{
    [Fact]
    public async Task MeterAndTracerProviders_TrafficWithRetries_ExportLoadstoneMetricsAndAttemptSpans()
    {
        var service = UniqueService("otel");
        var exportedMetrics = new List<MetricSnapshot>();
        var exportedActivities = new List<Activity>();
        using var meterProvider = LoadstoneOpenTelemetry.StartMetrics(exportedMetrics);
        using var tracerProvider = LoadstoneOpenTelemetry.StartTraces(exportedActivities);
        var backends = await TestBackend.StartManyAsync(2, "o");
        backends[0].StatusCode = 503;
        try
        {
            using var host = TelemetryHost.Create(service, o =>
            {
                o.Strategy = LoadBalancingStrategies.FirstAvailable;
                o.Endpoints.Add(backends[0].Address.ToString(), zone: "zone-a");
                o.Endpoints.Add(backends[1].Address.ToString(), zone: "zone-b");
            });
            Assert.All(await host.GetAsync(SecretPath, 4), c => Assert.Equal(200, c));

            Assert.True(meterProvider.ForceFlush(5000));

            var points = LoadstoneOpenTelemetry.Latest(exportedMetrics).Where(p => p.Tag(ServiceTag) == service).ToArray();
            double Value(string name, params (string Key, string Value)[] match) =>
                points.Where(p => p.Name == name && match.All(m => p.Tag(m.Key) == m.Value)).Sum(p => p.Value);

            Assert.Equal(4, Value("loadstone.attempts", (EndpointTag, EndpointOf(backends[0])), (OutcomeTag, "gateway_error")));
            Assert.Equal(4, Value("loadstone.attempts", (EndpointTag, EndpointOf(backends[1])), (OutcomeTag, "success")));
            Assert.Equal(4, Value("loadstone.requests", (OutcomeTag, "success")));
            Assert.Equal(4, Value("loadstone.retries"));
            Assert.Equal(2, Value("loadstone.pool.endpoints"));
            Assert.Equal(0, Value("loadstone.pool.fail_open"));
            Assert.Equal(2, Value("loadstone.endpoint.health"));

            var durations = points.Where(p => p.Name == "loadstone.attempt.duration").ToArray();
            Assert.All(durations, d => Assert.Equal((MetricType.Histogram, "s"), (d.Type, d.Unit)));
            Assert.Equal(8, durations.Sum(d => d.Count));
            Assert.True(durations.Sum(d => d.Value) > 0);
            Assert.Equal(MetricType.LongSum, points.First(p => p.Name == "loadstone.attempts").Type);

            // The histogram follows the bucket boundaries the instrument advises (http.client.request.duration's), not
            // OpenTelemetry's defaults (0, 5, 10, 25, ... in the unit, where every attempt would land in one bucket).
            var histogram = exportedMetrics.Last(m => m.Name == "loadstone.attempt.duration").MetricPoints[0];
            var bounds = new List<double>();
            foreach (var bucket in histogram.GetHistogramBuckets())
            {
                bounds.Add(bucket.ExplicitBound);
            }

            Assert.Equal([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, double.PositiveInfinity], bounds);
            AssertNoRequestData(points.Select(p => p.Tags));

            var spans = exportedActivities.Where(a => a.GetTagItem(ServiceTag) as string == service).ToArray();
            Assert.Equal(8, spans.Length);
            Assert.All(spans, s => Assert.Equal(LoadstoneActivitySource.AttemptActivityName, s.OperationName));
            Assert.Equal(4, spans.Count(s => (int)s.GetTagItem("loadstone.attempt")! == 2
                && (string)s.GetTagItem("loadstone.pick_reason")! == "retry on an endpoint not tried yet"
                && (string)s.GetTagItem("loadstone.endpoint.zone")! == "zone-b"));
        }
        finally
        {
            await StopAll(backends);
        }
    }
}
