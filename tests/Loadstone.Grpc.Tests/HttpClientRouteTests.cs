using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.ClientFactory;
using Loadstone.Grpc.Tests.Echo;
using Microsoft.Extensions.DependencyInjection;
using static Loadstone.Grpc.Tests.GrpcKit;

namespace Loadstone.Grpc.Tests;

/// <summary>
/// The HttpClient route: gRPC calls to <c>http://catalog</c> through a <see cref="LoadBalancingHandler"/>, in each of the
/// three ways that used to fail every call (Grpc.Net.Client found the SocketsHttpHandler at the bottom, turned on its
/// own balancing and connected to catalog:80), against real Grpc.AspNetCore backends over h2c.
/// </summary>
public sealed class HttpClientRouteTests : IClassFixture<ThreeGrpcBackends>
{
    private readonly ThreeGrpcBackends _backends;

    public HttpClientRouteTests(ThreeGrpcBackends backends)
    {
        _backends = backends;
        _backends.Reset();
    }

    [Fact]
    public async Task AddGrpcClient_AddLoadBalancing_CallsSpreadOverTheEndpoints()
    {
        var services = new ServiceCollection();
        services.AddGrpcClient<Echo.Echo.EchoClient>(o => o.Address = new Uri("http://catalog"))
            .AddLoadBalancing("catalog", Configure);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<Echo.Echo.EchoClient>();

        var counts = CountBy(await UnaryAsync(client, 9));

        Assert.All(_backends.All, b => Assert.Equal(3, counts.GetValueOrDefault(b.Name)));
        Assert.Equal(9, provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog").Endpoints.Sum(e => e.TotalRequests));
    }

    [Fact]
    public async Task GrpcChannel_WithTheClientFactorysHandlerChain_CallsSpread()
    {
        var services = new ServiceCollection();
        services.AddHttpClient("catalog").AddLoadBalancing("catalog", Configure);
        await using var provider = services.BuildServiceProvider();
        var handler = provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("catalog");
        using var channel = GrpcChannel.ForAddress("http://catalog", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });

        var counts = CountBy(await UnaryAsync(new Echo.Echo.EchoClient(channel), 9));

        Assert.All(_backends.All, b => Assert.Equal(3, counts.GetValueOrDefault(b.Name)));
    }

    [Fact]
    public async Task GrpcChannel_WithLoadBalancingHandlerOverSocketsHttpHandler_CallsSpread()
    {
        using var pool = Pool(LoadBalancingStrategies.RoundRobin, _backends.All);
        using var channel = GrpcChannel.ForAddress("http://catalog", new GrpcChannelOptions
        {
            HttpHandler = new LoadBalancingHandler(pool, new SocketsHttpHandler()),
        });
        var client = new Echo.Echo.EchoClient(channel);

        var counts = CountBy(await UnaryAsync(client, 9));

        Assert.All(_backends.All, b => Assert.Equal(3, counts.GetValueOrDefault(b.Name)));
    }

    [Fact]
    public async Task ServerStreaming_ThroughTheHandler_SpreadAndReadToTheEnd()
    {
        using var pool = Pool(LoadBalancingStrategies.RoundRobin, _backends.All);
        using var channel = GrpcChannel.ForAddress("http://catalog", new GrpcChannelOptions { HttpHandler = new LoadBalancingHandler(pool, new SocketsHttpHandler()) });
        var client = new Echo.Echo.EchoClient(channel);
        var answered = new List<string>();

        for (var i = 0; i < 6; i++)
        {
            using var call = client.ServerStream(new StreamRequest { Count = 5 });
            var replies = await call.ResponseStream.ReadAllAsync().ToListAsync();
            Assert.Equal(5, replies.Count);
            answered.Add(replies[0].Backend);
        }

        Assert.All(_backends.All, b => Assert.Equal(2, CountBy(answered).GetValueOrDefault(b.Name)));
    }

    [Fact]
    public async Task BackendAnsweringUnavailable_ClassifiedFromGrpcStatus_IsEjected()
    {
        using var pool = Pool(LoadBalancingStrategies.RoundRobin, _backends.All);
        using var channel = GrpcChannel.ForAddress("http://catalog", new GrpcChannelOptions
        {
            HttpHandler = new LoadBalancingHandler(pool, new SocketsHttpHandler()),
            ServiceConfig = RetryUnavailable(),
        });
        var client = new Echo.Echo.EchoClient(channel);
        _backends[2].Failure = StatusCode.Unavailable;

        var counts = CountBy(await UnaryAsync(client, 30));

        Assert.Equal(30, counts.Values.Sum());
        Assert.False(counts.ContainsKey(_backends[2].Name));
        var failing = await Eventually.ThatAsync(() => pool.GetStatus().Endpoints[2], e => e.Health == EndpointHealth.Unhealthy);
        Assert.Equal(EndpointHealthReason.EjectedConsecutiveGatewayErrors, failing.Reason);
    }

    private void Configure(LoadBalancingOptions options)
    {
        options.Strategy = LoadBalancingStrategies.RoundRobin;
        foreach (var backend in _backends.All)
        {
            options.Endpoints.Add(backend.Address.ToString());
        }
    }
}

internal static class AsyncEnumerableExtensions
{
    public static async Task<List<T>> ToListAsync<T>(this IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }
}
