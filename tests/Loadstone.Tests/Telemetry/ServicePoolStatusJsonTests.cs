using System.Text.Json;
using static Loadstone.Tests.Health.HealthKit;
using static Loadstone.Tests.Telemetry.TelemetryKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Telemetry;

/// <summary>The explain view: <see cref="ServicePool.GetStatus"/> as JSON, parsed back with System.Text.Json.</summary>
public sealed class ServicePoolStatusJsonTests
{
    private static readonly string[] EndpointFields =
        ["address", "zone", "weight", "health", "reason", "weightFactor", "activeRequests", "latencyMs", "totalRequests", "failedRequests", "ejections"];

    [Fact]
    public async Task ToJson_AfterTrafficAndAnEjection_HasTheDocumentedFields()
    {
        var service = UniqueService("explain");
        var time = TestClock.Create();
        var backends = await TestBackend.StartManyAsync(2, "x");
        backends[0].StatusCode = 500;
        try
        {
            using var host = TelemetryHost.Create(service, o =>
            {
                o.Strategy = LoadBalancingStrategies.FirstAvailable;
                o.Endpoints.Add(backends[0].Address.ToString(), zone: "zone-a", weight: 3);
                o.Endpoints.Add(backends[1].Address.ToString(), zone: "zone-b");
            }, time: time);
            await host.GetAsync(SecretPath, 7); // five 500s eject the first endpoint; two more go to the second

            using var json = JsonDocument.Parse(host.Pool.GetStatus().ToJson());

            var root = json.RootElement;
            Assert.Equal(service, root.GetProperty("service").GetString());
            Assert.Equal(LoadBalancingStrategies.FirstAvailable, root.GetProperty("strategy").GetString());
            Assert.False(root.GetProperty("failingOpen").GetBoolean());
            var endpoints = root.GetProperty("endpoints").EnumerateArray().ToArray();
            Assert.Equal(2, endpoints.Length);
            Assert.All(endpoints, e => Assert.All(EndpointFields, f => Assert.True(e.TryGetProperty(f, out _), $"missing {f}")));

            var ejected = endpoints[0];
            Assert.Equal(EndpointOf(backends[0]), ejected.GetProperty("address").GetString());
            Assert.Equal("zone-a", ejected.GetProperty("zone").GetString());
            Assert.Equal(3, ejected.GetProperty("weight").GetInt32());
            Assert.Equal(nameof(EndpointHealth.Unhealthy), ejected.GetProperty("health").GetString());
            Assert.Equal(nameof(EndpointHealthReason.EjectedConsecutiveServerErrors), ejected.GetProperty("reason").GetString());
            Assert.Equal(5, ejected.GetProperty("totalRequests").GetInt64());
            Assert.Equal(5, ejected.GetProperty("failedRequests").GetInt64());
            Assert.Equal(1, ejected.GetProperty("ejections").GetInt32());
            Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(30), ejected.GetProperty("ejectedUntil").GetDateTimeOffset());

            var serving = endpoints[1];
            Assert.Equal(EndpointOf(backends[1]), serving.GetProperty("address").GetString());
            Assert.Equal("zone-b", serving.GetProperty("zone").GetString());
            Assert.Equal(1, serving.GetProperty("weight").GetInt32());
            Assert.Equal(nameof(EndpointHealth.Unchecked), serving.GetProperty("health").GetString());
            Assert.Equal(nameof(EndpointHealthReason.HealthChecksDisabled), serving.GetProperty("reason").GetString());
            Assert.Equal(2, serving.GetProperty("totalRequests").GetInt64());
            Assert.Equal(0, serving.GetProperty("failedRequests").GetInt64());
            Assert.Equal(0, serving.GetProperty("ejections").GetInt32());
            Assert.False(serving.TryGetProperty("ejectedUntil", out _));
            Assert.All(endpoints, e =>
            {
                Assert.Equal(0, e.GetProperty("activeRequests").GetInt32());
                Assert.Equal(1, e.GetProperty("weightFactor").GetDouble());
                Assert.True(e.GetProperty("latencyMs").GetDouble() >= 0);
            });
        }
        finally
        {
            await StopAll(backends);
        }
    }
}
