using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using static Loadstone.Tests.Health.HealthKit;
using static Loadstone.Tests.Telemetry.TelemetryKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Telemetry;

/// <summary><c>AddHealthChecks().AddLoadBalancerPools()</c> read through <see cref="HealthCheckService"/>, as a health endpoint would.</summary>
public sealed class ServicePoolHealthCheckTests
{
    private static async Task<HealthReportEntry> CheckAsync(TelemetryHost host)
    {
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries["loadstone"];
    }

    private static Action<LoadBalancingOptions> Configure(IEnumerable<TestBackend> backends, Action<LoadBalancingOptions>? more = null) => o =>
    {
        o.Strategy = LoadBalancingStrategies.FirstAvailable;
        o.HealthChecks.Passive.MaxEjectionPercent = 100;
        foreach (var backend in backends)
        {
            o.Endpoints.Add(backend.Address.ToString());
        }

        more?.Invoke(o);
    };

    [Fact]
    public async Task CheckHealthAsync_EveryEndpointServing_Healthy()
    {
        var service = UniqueService("hc-ok");
        var backends = await TestBackend.StartManyAsync(2, "h");
        try
        {
            using var host = TelemetryHost.Create(service, Configure(backends), time: TestClock.Create());
            await host.GetAsync(SecretPath, 2);

            var entry = await CheckAsync(host);

            Assert.Equal(HealthStatus.Healthy, entry.Status);
            Assert.Equal("2/2 healthy", entry.Data[service]);
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task CheckHealthAsync_PoolFailingOpen_Degraded()
    {
        var service = UniqueService("hc-open");
        var backends = await TestBackend.StartManyAsync(2, "h");
        backends[0].StatusCode = backends[1].StatusCode = 500;
        try
        {
            using var host = TelemetryHost.Create(service, Configure(backends), time: TestClock.Create());
            await host.GetAsync(SecretPath, 10); // five 500s eject each endpoint in turn
            Assert.True(host.Pool.IsFailingOpen);

            var entry = await CheckAsync(host);

            Assert.Equal(HealthStatus.Degraded, entry.Status);
            Assert.Equal("0/2 healthy, failing open", entry.Data[service]);
            Assert.Contains($"'{service}' has 0 of 2 endpoints healthy and is failing open", entry.Description, StringComparison.Ordinal);
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task CheckHealthAsync_FewerHealthyThanThreshold_Degraded()
    {
        var service = UniqueService("hc-few");
        var backends = await TestBackend.StartManyAsync(3, "h");
        backends[0].StatusCode = 500;
        try
        {
            using var host = TelemetryHost.Create(service, Configure(backends), degradedBelowPercent: 80, time: TestClock.Create());
            await host.GetAsync(SecretPath, 5); // ejects the first of three

            var entry = await CheckAsync(host);

            Assert.Equal(HealthStatus.Degraded, entry.Status);
            Assert.Equal("2/3 healthy", entry.Data[service]);
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task CheckHealthAsync_NothingRoutable_Unhealthy()
    {
        var service = UniqueService("hc-down");
        var backends = await TestBackend.StartManyAsync(2, "h");
        backends[0].StatusCode = backends[1].StatusCode = 500;
        try
        {
            using var host = TelemetryHost.Create(service, Configure(backends, o => o.HealthChecks.FailOpen.Enabled = false), time: TestClock.Create());
            await host.GetAsync(SecretPath, 10);
            await Assert.ThrowsAsync<NoAvailableEndpointException>(() => host.Client.GetAsync(SecretPath));

            var entry = await CheckAsync(host);

            Assert.Equal(HealthStatus.Unhealthy, entry.Status);
            Assert.Equal("0/2 healthy", entry.Data[service]);
            Assert.Contains($"'{service}' has no endpoint that can take traffic", entry.Description, StringComparison.Ordinal);
        }
        finally
        {
            await StopAll(backends);
        }
    }
}
