using System.Globalization;
using Microsoft.Extensions.DependencyInjection;

namespace Loadstone.Tests.Http;

/// <summary>What the handler does to real requests beyond choosing: errors, cancellation, pass-through, paths.</summary>
public sealed class HandlerIntegrationTests : IClassFixture<ThreeBackendsFixture>
{
    private readonly BackendSet _backends;

    public HandlerIntegrationTests(ThreeBackendsFixture fixture)
    {
        _backends = fixture.Backends;
        _backends.Reset();
    }

    [Fact]
    public async Task SendAsync_SourceWithNoEndpoints_ThrowsNoAvailableEndpointNamingTheService()
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedHttpClient("catalog");
        services.AddLoadBalancedService("catalog").AddEndpointSource(new DynamicEndpointSource("registry"));
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        var ex = await Assert.ThrowsAsync<NoAvailableEndpointException>(() => client.GetAsync("/items"));

        Assert.Equal("catalog", ex.ServiceName);
        Assert.Equal(NoAvailableEndpointReason.NoEndpoints, ex.Reason);
        Assert.Contains("'catalog'", ex.Message, StringComparison.Ordinal);
        Assert.Equal([0, 0, 0], _backends.Counts);
    }

    [Fact]
    public async Task SendAsync_AllWeightsZero_ThrowsNoAvailableEndpointNamingTheService()
    {
        await using var provider = BuildProvider(o =>
        {
            foreach (var backend in _backends.All)
            {
                o.Endpoints.Add(backend.Address.ToString(), weight: 0);
            }
        });
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        var ex = await Assert.ThrowsAsync<NoAvailableEndpointException>(() => client.GetAsync("/items"));

        Assert.Equal("catalog", ex.ServiceName);
        Assert.Equal(NoAvailableEndpointReason.AllWeightsZero, ex.Reason);
        Assert.Equal([0, 0, 0], _backends.Counts);
    }

    [Fact]
    public async Task SendAsync_CallerCancelsInFlight_TaskCanceledPropagatesAndUriIsRestored()
    {
        await using var provider = BuildProvider(o => o.Endpoints.Add(_backends[0].Address.ToString()));
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        _backends[0].Delay = TimeSpan.FromSeconds(30);
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/slow?x=1");
        var original = request.RequestUri;
        using var cts = new CancellationTokenSource();

        var sending = client.SendAsync(request, cts.Token);
        Assert.Equal(1, pool.Endpoints[0].ActiveRequests); // chosen and in flight
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAsync<TaskCanceledException>(() => sending);
        Assert.Equal(cts.Token, ex.CancellationToken);
        Assert.Same(original, request.RequestUri);
        Assert.Equal(0, pool.Endpoints[0].ActiveRequests);
        Assert.Equal(0, pool.Endpoints[0].FailedRequests); // the caller gave up; the endpoint is not to blame
    }

    [Fact]
    public async Task SendAsync_HttpClientTimeout_TaskCanceledWithTimeoutPropagatesAndUriIsRestored()
    {
        await using var provider = BuildProvider(o => o.Endpoints.Add(_backends[0].Address.ToString()));
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        client.Timeout = TimeSpan.FromMilliseconds(200);
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        _backends[0].Delay = TimeSpan.FromSeconds(30);
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/slow");
        var original = request.RequestUri;

        var ex = await Assert.ThrowsAsync<TaskCanceledException>(() => client.SendAsync(request));

        Assert.IsType<TimeoutException>(ex.InnerException);
        Assert.Same(original, request.RequestUri);
        Assert.Equal(0, pool.Endpoints[0].ActiveRequests);
    }

    [Fact]
    public async Task Send_Synchronous_BalancesAndRestoresLikeSendAsync()
    {
        await using var provider = BuildProvider(o =>
        {
            o.Strategy = LoadBalancingStrategies.RoundRobin;
            foreach (var backend in _backends.All)
            {
                o.Endpoints.Add(backend.Address.ToString());
            }
        });
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        for (var i = 0; i < 9; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/items?sync=1");
            using var response = client.Send(request);
            response.EnsureSuccessStatusCode();
            Assert.Equal(new Uri("http://catalog/items?sync=1"), request.RequestUri);
        }

        Assert.Equal([3, 3, 3], _backends.Counts);
        Assert.All(_backends.All, b => Assert.All(b.Received, path => Assert.Equal("/items?sync=1", path)));
    }

    [Fact]
    public async Task SendAsync_HostIsNotAService_PassesThroughUntouched()
    {
        await using var provider = BuildProvider(o => o.Endpoints.Add(_backends[0].Address.ToString()));
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        var direct = new Uri(_backends[2].Address, "/direct/path?q=a%20b");

        var body = await client.GetStringAsync(direct);

        Assert.Equal("b2", body);
        Assert.Equal([0, 0, 1], _backends.Counts);
        Assert.Equal("/direct/path?q=a%20b", Assert.Single(_backends[2].Received));
        Assert.Equal($"127.0.0.1:{_backends[2].Port}", Assert.Single(_backends[2].HostHeaders));
        Assert.Equal(0, pool.Endpoints[0].TotalRequests);
    }

    [Theory]
    [InlineData(false, null, "127.0.0.1:{port}")]
    [InlineData(true, null, "catalog")]
    [InlineData(true, "shop.example", "shop.example")]
    public async Task SendAsync_UseServiceNameAsHost_BackendSeesServiceNameUnlessCallerSetHost(bool useServiceName, string? callerHost, string expected)
    {
        await using var provider = BuildProvider(o =>
        {
            o.Endpoints.Add(_backends[0].Address.ToString());
            o.UseServiceNameAsHost = useServiceName;
        });
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items");
        request.Headers.Host = callerHost;

        using var response = await client.SendAsync(request);

        response.EnsureSuccessStatusCode();
        Assert.Equal(expected.Replace("{port}", _backends[0].Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), Assert.Single(_backends[0].HostHeaders));
        Assert.Equal(callerHost, request.Headers.Host);
    }

    [Theory]
    [InlineData("/api")]
    [InlineData("/api/")]
    public async Task SendAsync_EndpointWithPathPrefix_BackendSeesPrefixThenPathAndQuery(string prefix)
    {
        await using var provider = BuildProvider(o => o.Endpoints.Add(new Uri(_backends[1].Address, prefix).ToString()));
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        using var response = await client.GetAsync("/items?q=1");
        using var nested = await client.GetAsync("http://catalog/items/42/reviews?page=2&sort=new");

        response.EnsureSuccessStatusCode();
        nested.EnsureSuccessStatusCode();
        Assert.Equal(["/api/items?q=1", "/api/items/42/reviews?page=2&sort=new"], _backends[1].Received);
    }

    private static ServiceProvider BuildProvider(Action<LoadBalancingOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedHttpClient("catalog", configure);
        return services.BuildServiceProvider();
    }
}
