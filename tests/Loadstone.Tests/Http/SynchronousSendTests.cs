using Loadstone.Tests.Telemetry;
using static Loadstone.Tests.Health.HealthKit;
using static Loadstone.Tests.Telemetry.TelemetryKit;

namespace Loadstone.Tests.Http;

/// <summary>
/// <see cref="HttpClient.Send(HttpRequestMessage)"/> runs the same send loop as SendAsync: retries on another endpoint,
/// an activity per attempt, the request metric, routing rules.
/// </summary>
public sealed class SynchronousSendTests
{
    [Fact]
    public async Task Send_FirstEndpointAnswers503_RetriedOnAnotherWithAnActivityPerAttemptAndOneRequestMetric()
    {
        var service = UniqueService("sync-retry");
        using var traces = new ActivityCollector(service);
        using var metrics = new LoadstoneMetricCollector(service);
        var backends = await TestBackend.StartManyAsync(2, "s");
        backends[0].StatusCode = 503;
        try
        {
            var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.FirstAvailable };
            options.Endpoints.Add(backends[0].Address.ToString());
            options.Endpoints.Add(backends[1].Address.ToString());
            using var pool = new ServicePool(service, options);
            using var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler()));

            using var response = client.Send(new HttpRequestMessage(HttpMethod.Get, $"http://{service}/items"));

            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.Equal((1, 1), (backends[0].RequestCount, backends[1].RequestCount));
            var attempts = traces.Stopped.OrderBy(a => (int)a.GetTagItem("loadstone.attempt")!).ToArray();
            Assert.Equal(2, attempts.Length);
            Assert.Equal((EndpointOf(backends[0]), "gateway_error"), ((string)attempts[0].GetTagItem(EndpointTag)!, (string)attempts[0].GetTagItem(OutcomeTag)!));
            Assert.Equal((EndpointOf(backends[1]), "success"), ((string)attempts[1].GetTagItem(EndpointTag)!, (string)attempts[1].GetTagItem(OutcomeTag)!));
            Assert.Equal("retry on an endpoint not tried yet", attempts[1].GetTagItem("loadstone.pick_reason"));
            Assert.Equal(1, metrics.Sum("loadstone.requests", (OutcomeTag, "success")));
            Assert.Single(metrics.Of("loadstone.requests"));
            Assert.Equal(1, metrics.Sum("loadstone.retries"));
            Assert.Equal(2, metrics.Of("loadstone.attempts").Count);
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public async Task Send_ConnectionRefused_RetriedOnAnotherEndpointAndTheRequestMetricSaysSuccess()
    {
        var service = UniqueService("sync-refused");
        using var metrics = new LoadstoneMetricCollector(service);
        await using var live = await TestBackend.StartAsync("live");
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.FirstAvailable };
        options.Endpoints.Add($"http://127.0.0.1:{ClosedPort()}");
        options.Endpoints.Add(live.Address.ToString());
        using var pool = new ServicePool(service, options);
        using var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler()));

        using var response = client.Send(new HttpRequestMessage(HttpMethod.Get, $"http://{service}/items"));

        Assert.Equal("live", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, pool.Endpoints[0].FailedRequests);
        Assert.Equal(1, metrics.Sum("loadstone.requests", (OutcomeTag, "success")));
    }

    [Fact]
    public async Task Send_NotRetryableAndFails_ThrowsTheTransportErrorAndRecordsIt()
    {
        var service = UniqueService("sync-fail");
        using var metrics = new LoadstoneMetricCollector(service);
        var options = new LoadBalancingOptions();
        options.Endpoints.Add($"http://127.0.0.1:{ClosedPort()}");
        options.Retries.Enabled = false;
        using var pool = new ServicePool(service, options);
        using var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler()));

        Assert.Throws<HttpRequestException>(() => client.Send(new HttpRequestMessage(HttpMethod.Get, $"http://{service}/items")));

        Assert.Equal(1, metrics.Sum("loadstone.requests", (OutcomeTag, "connection_failure")));
        Assert.Equal(1, pool.Endpoints[0].FailedRequests);
        await Task.CompletedTask;
    }
}
