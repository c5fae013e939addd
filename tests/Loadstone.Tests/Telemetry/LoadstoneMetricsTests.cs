using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static Loadstone.Tests.Health.HealthKit;
using static Loadstone.Tests.Telemetry.TelemetryKit;

namespace Loadstone.Tests.Telemetry;

/// <summary>
/// The Loadstone meter of a test container read through <c>MetricCollector&lt;T&gt;</c> while real requests flow
/// through <c>AddLoadBalancedHttpClient</c> to Kestrel backends: counters, the duration histogram and the gauges.
/// </summary>
public sealed class LoadstoneMetricsTests
{
    [Fact]
    public async Task SendAsync_SuccessfulRequests_CountsAttemptsRequestsAndDurationsPerEndpoint()
    {
        var service = UniqueService("metrics");
        var backends = await TestBackend.StartManyAsync(2, "m");
        try
        {
            using var host = TelemetryHost.Create(service, o =>
            {
                o.Strategy = LoadBalancingStrategies.RoundRobin;
                foreach (var backend in backends)
                {
                    o.Endpoints.Add(backend.Address.ToString());
                }
            });

            var codes = await host.GetAsync(SecretPath, 10);

            Assert.All(codes, c => Assert.Equal(200, c));
            Assert.All(backends, b => Assert.Contains(SecretPath, b.Received)); // the path did reach the backends
            foreach (var backend in backends)
            {
                Assert.Equal(5, host.Metrics.Sum("loadstone.attempts", (EndpointTag, EndpointOf(backend)), (OutcomeTag, "success")));
            }

            Assert.Equal(10, host.Metrics.Sum("loadstone.attempts"));
            Assert.Equal(10, host.Metrics.Sum("loadstone.requests", (OutcomeTag, "success")));
            Assert.Equal(10, host.Metrics.Sum("loadstone.requests"));
            Assert.Equal(0, host.Metrics.Sum("loadstone.retries"));

            var durations = host.Metrics.Of("loadstone.attempt.duration");
            Assert.Equal(10, durations.Count);
            Assert.All(durations, d => Assert.InRange(d.Value, double.Epsilon, 30));

            Assert.All(host.Metrics.Of("loadstone.attempts").Concat(durations),
                r => Assert.Equal([EndpointTag, OutcomeTag, ServiceTag], r.Tags.Keys.Order(StringComparer.Ordinal)));
            Assert.All(host.Metrics.Of("loadstone.requests"),
                r => Assert.Equal([OutcomeTag, ServiceTag], r.Tags.Keys.Order(StringComparer.Ordinal)));
            AssertNoRequestData(host.Metrics.All.Select(r => r.Tags));
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task SendAsync_GatewayErrorRetriedElsewhere_CountsRetryAndEachAttemptsOutcome()
    {
        var service = UniqueService("retry");
        var backends = await TestBackend.StartManyAsync(2, "r");
        backends[0].StatusCode = 503;
        try
        {
            using var host = TelemetryHost.Create(service, o =>
            {
                o.Strategy = LoadBalancingStrategies.FirstAvailable; // always tries backends[0] first
                o.Endpoints.Add(backends[0].Address.ToString());
                o.Endpoints.Add(backends[1].Address.ToString());
            });

            var codes = await host.GetAsync(SecretPath, 3);

            Assert.All(codes, c => Assert.Equal(200, c));
            Assert.Equal(3, host.Metrics.Sum("loadstone.attempts", (EndpointTag, EndpointOf(backends[0])), (OutcomeTag, "gateway_error")));
            Assert.Equal(3, host.Metrics.Sum("loadstone.attempts", (EndpointTag, EndpointOf(backends[1])), (OutcomeTag, "success")));
            Assert.Equal(6, host.Metrics.Sum("loadstone.attempts"));
            Assert.Equal(3, host.Metrics.Sum("loadstone.retries"));
            Assert.Equal(3, host.Metrics.Sum("loadstone.requests", (OutcomeTag, "success"))); // the request's final outcome
            Assert.Equal(3, host.Metrics.Sum("loadstone.requests"));
            Assert.Equal(0, host.Metrics.Sum("loadstone.endpoint.ejections")); // 3 gateway errors are below the threshold of 5
            Assert.All(host.Metrics.Of("loadstone.retries"), r => Assert.Equal([ServiceTag], r.Tags.Keys));
            Assert.DoesNotContain(host.Logs.Library, e => e.Level > Microsoft.Extensions.Logging.LogLevel.Debug);
            AssertNoRequestData(host.Metrics.All.Select(r => r.Tags));
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task ActiveRequestsGauge_RequestsInFlight_ReportsThemUntilTheyEnd()
    {
        var service = UniqueService("inflight");
        var backend = await TestBackend.StartAsync("slow");
        backend.Delay = TimeSpan.FromSeconds(60); // held until the test cancels
        try
        {
            using var host = TelemetryHost.Create(service, o => o.Endpoints.Add(backend.Address.ToString()));
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var calls = Enumerable.Range(0, 3).Select(_ => host.Client.GetAsync(SecretPath, cancel.Token)).ToArray();
            Eventually(() => backend.RequestCount == 3, "three requests at the backend");

            var during = host.Metrics.Observe("loadstone.endpoint.active_requests");

            var single = Assert.Single(during);
            Assert.Equal(3, single.Value);
            Assert.Equal(EndpointOf(backend), single.Tag(EndpointTag));
            Assert.Equal([EndpointTag, ServiceTag], single.Tags.Keys.Order(StringComparer.Ordinal));

            await cancel.CancelAsync();
            foreach (var call in calls)
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
            }

            Assert.Equal(0, Assert.Single(host.Metrics.Observe("loadstone.endpoint.active_requests")).Value);
            Assert.Equal(3, host.Metrics.Sum("loadstone.attempts", (OutcomeTag, "canceled")));
            Assert.Equal(3, host.Metrics.Sum("loadstone.requests", (OutcomeTag, "canceled")));
        }
        finally
        {
            await backend.DisposeAsync();
        }
    }

    [Fact]
    public async Task PoolGauges_AfterTraffic_ReportEndpointsHealthWeightFactorAndFailOpen()
    {
        var service = UniqueService("gauges");
        var backends = await TestBackend.StartManyAsync(3, "g");
        try
        {
            using var host = TelemetryHost.Create(service, o =>
            {
                foreach (var backend in backends)
                {
                    o.Endpoints.Add(backend.Address.ToString());
                }
            });
            await host.GetAsync(SecretPath, 3);

            Assert.Equal(3, Assert.Single(host.Metrics.Observe("loadstone.pool.endpoints")).Value);
            Assert.Equal(0, Assert.Single(host.Metrics.Observe("loadstone.pool.fail_open")).Value);

            var health = host.Metrics.Observe("loadstone.endpoint.health");
            Assert.Equal(backends.Select(EndpointOf).Order(StringComparer.Ordinal), health.Select(h => h.Tag(EndpointTag)).Order(StringComparer.Ordinal));
            Assert.All(health, h =>
            {
                Assert.Equal(1, h.Value);
                Assert.Equal(nameof(EndpointHealth.Unchecked), h.Tag(HealthTag)); // active checks are off
                Assert.Equal(nameof(EndpointHealthReason.HealthChecksDisabled), h.Tag(ReasonTag));
            });

            var factors = host.Metrics.Observe("loadstone.endpoint.weight_factor");
            Assert.Equal(3, factors.Count);
            Assert.All(factors, f => Assert.Equal(1, f.Value));
            AssertNoRequestData(host.Metrics.All.Select(r => r.Tags));
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public void PoolGauges_TwoContainersWithMeterFactories_EachMeterObservesOnlyItsOwnContainersPool()
    {
        var service = UniqueService("meters");
        ServiceProvider Container()
        {
            var services = new ServiceCollection();
            services.AddMetrics();
            services.AddLoadBalancedService(service, o => o.Endpoints.Add(Fake(0)));
            return services.BuildServiceProvider();
        }

        using var first = Container();
        using var second = Container();
        _ = first.GetRequiredService<ServicePoolRegistry>().GetPool(service);
        _ = second.GetRequiredService<ServicePoolRegistry>().GetPool(service);

        Assert.Equal(1, ObservedPools(first.GetRequiredService<IMeterFactory>(), service));
        Assert.Equal(1, ObservedPools(second.GetRequiredService<IMeterFactory>(), service));
    }

    /// <summary>How many pools of <paramref name="service"/> the pool-size gauge of <paramref name="factory"/>'s meter reports.</summary>
    private static int ObservedPools(IMeterFactory factory, string service)
    {
        using var collector = new MetricCollector<int>(factory, LoadstoneMetrics.MeterName, "loadstone.pool.endpoints");
        collector.RecordObservableInstruments();
        return collector.GetMeasurementSnapshot().Count(m => m.Tags.TryGetValue(ServiceTag, out var value) && Equals(value, service));
    }
}
