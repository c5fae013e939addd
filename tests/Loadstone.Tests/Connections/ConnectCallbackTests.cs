using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Loadstone.Tests.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Connections;

/// <summary>
/// <see cref="SocketsHttpHandler.ConnectCallback"/> integration against real Kestrel backends: an HttpClient whose
/// requests go to <c>http://catalog/…</c>, never rewritten, has each new connection balanced; connections are counted
/// at the backends.
/// </summary>
public sealed class ConnectCallbackTests : IAsyncLifetime
{
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(1); // long enough that concurrent requests need concurrent connections, even on a busy machine
    private ConnectionCountingBackend[] _backends = null!;

    public async Task InitializeAsync() =>
        _backends = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => ConnectionCountingBackend.StartAsync($"b{i}")));

    public async Task DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }

    [Fact]
    public async Task UseLoadBalancedConnections_ClientThatNeverRewritesUris_SpreadsItsConnections()
    {
        var services = new ServiceCollection();
        services.AddHttpClient("sdk", c => c.BaseAddress = new Uri("http://catalog"))
            .UseLoadBalancedConnections("catalog", o => AddEndpoints(o));
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("sdk");
        var balancer = provider.GetRequiredKeyedService<ConnectionBalancer>("catalog");
        SetDelay(Hold);

        // Nine requests at once, each held a second by its backend: nine connections, each balanced as it opens.
        var responses = await Task.WhenAll(Enumerable.Range(0, 9).Select(i => client.GetAsync($"/items/{i}")));

        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode));
        Assert.All(responses, r => Assert.Equal("catalog", r.RequestMessage!.RequestUri!.Host)); // never rewritten
        var connections = _backends.Select(b => b.Connections).ToArray();
        Assert.Equal(9, connections.Sum());
        Assert.Equal(9, balancer.OpenConnections);
        Assert.All(connections, c => Assert.InRange(c, 2, 4)); // least connections; concurrent picks may race by one
        Assert.All(_backends.SelectMany(b => b.HostHeaders), h => Assert.Equal("catalog", h));
        Assert.Equal(connections, _backends.Select(b => ConnectionKit.State(balancer.Pool, b.Endpoint).ActiveRequests));
    }

    [Fact]
    public async Task ConnectCallback_BackendKilled_TriedAtMostUntilEjectedThenAvoidedAndNoRequestFails()
    {
        using var pool = ConnectionKit.Pool("catalog", LoadBalancingStrategies.LeastRequests, _backends.Select(b => b.Endpoint),
            o => (o.HealthChecks.Passive.SplitLocalFailures, o.HealthChecks.Passive.ConsecutiveLocalFailures) = (true, 1), time: TestClock.Create());
        using var balancer = new ConnectionBalancer(pool);
        SetDelay(Hold);
        using (var before = NewClient(balancer))
        {
            await AllSucceedAsync(before, 9, "b0", "b1", "b2");
        }

        await _backends[0].StopAsync();
        var dead = ConnectionKit.State(pool, _backends[0].Endpoint);
        Assert.Equal(0, dead.ActiveRequests); // the old client's connections were closed with it

        // The first wave of new connects finds b0 refusing: each such attempt is retried on b1 or b2, and the first
        // refusal ejects b0 (one consecutive failure, for this test).
        using (var first = NewClient(balancer))
        {
            await AllSucceedAsync(first, 12, "b1", "b2");
        }

        Assert.InRange(dead.FailedRequests, 1, 12);
        await pool.SettleAsync(); // the ejection is published by the pool's control plane
        Assert.Equal((EndpointHealth.Unhealthy, EndpointHealthReason.EjectedConsecutiveLocalFailures), (dead.Health, dead.HealthReason));
        var failedBefore = dead.FailedRequests;
        var connectionsBefore = _backends[1].Connections + _backends[2].Connections;

        using (var next = NewClient(balancer))
        {
            await AllSucceedAsync(next, 12, "b1", "b2");
        }

        Assert.Equal(failedBefore, dead.FailedRequests); // not tried again
        Assert.Equal(connectionsBefore + 12, _backends[1].Connections + _backends[2].Connections);
    }

    [Fact]
    public async Task ConnectCallback_OtherHost_ConnectsDirectlyWithoutTheBalancer()
    {
        using var pool = ConnectionKit.Pool("catalog", LoadBalancingStrategies.LeastRequests, [_backends[0].Endpoint]);
        using var balancer = new ConnectionBalancer(pool);
        using var client = NewClient(balancer);

        Assert.Equal("b1", await client.GetStringAsync($"http://127.0.0.1:{_backends[1].Port}/direct"));

        Assert.Equal(0, balancer.OpenConnections);
        Assert.Equal(0, ConnectionKit.State(pool, _backends[0].Endpoint).TotalRequests);
    }

    [Fact]
    public async Task ConnectCallback_Https_CertificateCheckedAgainstTheLogicalName()
    {
        using var catalog = TestCertificates.CreateSelfSigned("catalog");
        using var wrong = TestCertificates.CreateSelfSigned("wrong.example");
        await using var good1 = await ConnectionCountingBackend.StartAsync("tls1", catalog);
        await using var good2 = await ConnectionCountingBackend.StartAsync("tls2", catalog);
        await using var bad = await ConnectionCountingBackend.StartAsync("bad", wrong);
        var trust = TlsConnectionTests.TrustOnly(catalog, wrong);

        using (var pool = ConnectionKit.Pool("catalog", LoadBalancingStrategies.LeastRequests, [good1.Endpoint, good2.Endpoint]))
        using (var balancer = new ConnectionBalancer(pool))
        using (var client = NewClient(balancer, "https://catalog", trust))
        {
            good1.Delay = good2.Delay = Hold;
            var bodies = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.GetStringAsync("/secure")));

            Assert.All(bodies, b => Assert.Contains(b, new[] { "tls1", "tls2" }));
            Assert.Equal(4, good1.Connections + good2.Connections);
            Assert.InRange(good1.Connections, 1, 3); // both instances get connections
            Assert.All(good1.HostHeaders.Concat(good2.HostHeaders), h => Assert.Equal("catalog", h));
        }

        using (var pool = ConnectionKit.Pool("catalog", LoadBalancingStrategies.LeastRequests, [bad.Endpoint]))
        using (var balancer = new ConnectionBalancer(pool))
        using (var client = NewClient(balancer, "https://catalog", trust))
        {
            var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync("/secure"));
            Assert.IsType<System.Security.Authentication.AuthenticationException>(ex.InnerException);
            Assert.Equal(0, bad.Requests);
        }
    }

    private static HttpClient NewClient(ConnectionBalancer balancer, string baseAddress = "http://catalog", SslClientAuthenticationOptions? ssl = null)
    {
        var handler = new SocketsHttpHandler { ConnectCallback = balancer.ConnectCallbackAsync };
        if (ssl is not null)
        {
            handler.SslOptions = ssl;
        }

        return new HttpClient(handler) { BaseAddress = new Uri(baseAddress) };
    }

    private static async Task AllSucceedAsync(HttpClient client, int count, params string[] allowed)
    {
        var bodies = await Task.WhenAll(Enumerable.Range(0, count).Select(i => client.GetStringAsync($"/items/{i}")));
        Assert.All(bodies, b => Assert.Contains(b, allowed));
    }

    private void AddEndpoints(LoadBalancingOptions options)
    {
        foreach (var backend in _backends)
        {
            options.Endpoints.Add(backend.Endpoint);
        }
    }

    private void SetDelay(TimeSpan delay)
    {
        foreach (var backend in _backends)
        {
            backend.Delay = delay;
        }
    }
}
