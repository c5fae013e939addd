using System.Net;
using Loadstone.Tests.Telemetry;
using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Retries;

/// <summary>
/// Requeues: an attempt that never reached a server (a refused connection) goes to another endpoint whatever the method,
/// outside the retry budget and within its own; a failure on an established connection is not requeued. Real Kestrel
/// backends and a port nothing listens on.
/// </summary>
public sealed class RequeueTests
{
    private static (ServicePool Pool, HttpClient Client) Create(string service, string strategy, Action<LoadBalancingOptions>? configure, params string[] addresses)
    {
        var setup = Setup(TestClock.Create(), strategy, addresses);
        configure?.Invoke(setup.Options);
        var pool = setup.Create(service);
        return (pool, new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler())) { Timeout = TimeSpan.FromSeconds(30) });
    }

    [Fact]
    public async Task SendAsync_PostToARefusingEndpoint_RequeuedOnAnotherAndDeliveredOnce()
    {
        await using var live = await TestBackend.StartAsync("live");
        var refusing = $"http://127.0.0.1:{ClosedPort()}";
        using var metrics = new LoadstoneMetricCollector("requeue-post");
        var (pool, client) = Create("requeue-post", LoadBalancingStrategies.FirstAvailable, null, refusing, live.Address.ToString());
        using var _1 = pool;
        using var _2 = client;

        using var response = await client.PostAsync("http://requeue-post/orders", new StringContent("order-1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["order-1"], live.Bodies);
        Assert.Equal(1, metrics.Sum("loadstone.requeues"));
        Assert.Equal(0, metrics.Sum("loadstone.retries"));
        Assert.Equal(1, metrics.Sum("loadstone.attempts", ("loadstone.outcome", "unreachable")));
        Assert.Equal(1, State(pool, refusing).FailedRequests);
    }

    [Fact]
    public async Task SendAsync_StreamContentToARefusingEndpoint_RequeuedWithItsContentUnread()
    {
        await using var live = await TestBackend.StartAsync("live");
        var refusing = $"http://127.0.0.1:{ClosedPort()}";
        var (pool, client) = Create("requeue-stream", LoadBalancingStrategies.FirstAvailable, null, refusing, live.Address.ToString());
        using var _1 = pool;
        using var _2 = client;
        using var content = new StreamContent(new MemoryStream("a stream, read once"u8.ToArray()));

        using var response = await client.PostAsync("http://requeue-stream/upload", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["a stream, read once"], live.Bodies);
    }

    [Fact]
    public async Task SendAsync_PostThatReachedTheServer_NotRequeuedNorRetried()
    {
        await using var resetting = await TestBackend.StartAsync("resetting");
        await using var live = await TestBackend.StartAsync("live");
        resetting.AbortAfterReading = true;
        var (pool, client) = Create("requeue-reached", LoadBalancingStrategies.FirstAvailable, null, resetting.Address.ToString(), live.Address.ToString());
        using var _1 = pool;
        using var _2 = client;

        await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync("http://requeue-reached/orders", new StringContent("order-2")));

        Assert.Equal(["order-2"], resetting.Bodies); // the server saw it: sending it elsewhere could do it twice
        Assert.Empty(live.Bodies);
    }

    [Fact]
    public async Task SendAsync_TwoRefusingEndpoints_RequeuesDoNotSpendRetries()
    {
        await using var failing = await TestBackend.StartAsync("failing");
        await using var live = await TestBackend.StartAsync("live");
        failing.StatusCode = 503;
        var refusing = new[] { $"http://127.0.0.1:{ClosedPort()}", $"http://127.0.0.1:{ClosedPort()}" };
        // One retry allowed: the two requeues must not use it, so the 503 can still be retried on the live endpoint.
        var (pool, client) = Create("requeue-retry", LoadBalancingStrategies.FirstAvailable, o => o.Retries.MaxRetryAttempts = 1,
            refusing[0], refusing[1], failing.Address.ToString(), live.Address.ToString());
        using var _1 = pool;
        using var _2 = client;

        using var response = await client.GetAsync("http://requeue-retry/items");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((1, 1), (failing.RequestCount, live.RequestCount));
    }

    [Fact]
    public async Task SendAsync_RequeueBudgetSpent_TheRefusalReachesTheCaller()
    {
        await using var live = await TestBackend.StartAsync("live");
        var refusing = $"http://127.0.0.1:{ClosedPort()}";
        var (pool, client) = Create("requeue-budget", LoadBalancingStrategies.FirstAvailable, o =>
        {
            (o.Requeues.BudgetPercent, o.Requeues.MinRequeuesPerSecond) = (0, 1); // 10 requeues per 10 s, no more
            (o.Retries.Enabled, o.HealthChecks.Passive.Enabled) = (false, false);
        }, refusing, live.Address.ToString());
        using var _1 = pool;
        using var _2 = client;

        var outcomes = new List<bool>();
        for (var i = 0; i < 12; i++)
        {
            try
            {
                using var response = await client.GetAsync("http://requeue-budget/items");
                outcomes.Add(true);
            }
            catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError)
            {
                outcomes.Add(false);
            }
        }

        Assert.Equal([.. Enumerable.Repeat(true, 10), false, false], outcomes);
    }

    [Fact]
    public async Task SendAsync_RequeuesDisabled_NonIdempotentRefusalFails()
    {
        await using var live = await TestBackend.StartAsync("live");
        var refusing = $"http://127.0.0.1:{ClosedPort()}";
        var (pool, client) = Create("requeue-off", LoadBalancingStrategies.FirstAvailable, o => o.Requeues.Enabled = false, refusing, live.Address.ToString());
        using var _1 = pool;
        using var _2 = client;

        await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync("http://requeue-off/orders", new StringContent("x")));

        Assert.Empty(live.Bodies);
    }

    [Fact]
    public void NeverReachedServer_OnlyConnectPhaseErrors()
    {
        Assert.True(RequeuePolicy.NeverReachedServer(new HttpRequestException(HttpRequestError.ConnectionError, "refused")));
        Assert.True(RequeuePolicy.NeverReachedServer(new HttpRequestException(HttpRequestError.NameResolutionError, "no such host")));
        Assert.True(RequeuePolicy.NeverReachedServer(new HttpRequestException(HttpRequestError.SecureConnectionError, "tls")));
        Assert.True(RequeuePolicy.NeverReachedServer(new HttpRequestException("x", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused))));
        Assert.False(RequeuePolicy.NeverReachedServer(new HttpRequestException(HttpRequestError.ResponseEnded, "ended")));
        Assert.False(RequeuePolicy.NeverReachedServer(new HttpRequestException("x", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionReset))));
        Assert.False(RequeuePolicy.NeverReachedServer(new TaskCanceledException()));
    }
}
