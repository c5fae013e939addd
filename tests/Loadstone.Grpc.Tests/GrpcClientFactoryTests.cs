using Loadstone.Grpc.Tests.Echo;
using Microsoft.Extensions.DependencyInjection;
using static Loadstone.Grpc.Tests.GrpcKit;

namespace Loadstone.Grpc.Tests;

/// <summary>The policy route registered on a gRPC client factory client: <c>AddGrpcClient&lt;T&gt;().AddGrpcLoadBalancing(...)</c>.</summary>
public sealed class GrpcClientFactoryTests : IClassFixture<ThreeGrpcBackends>
{
    private readonly ThreeGrpcBackends _backends;

    public GrpcClientFactoryTests(ThreeGrpcBackends backends)
    {
        _backends = backends;
        _backends.Reset();
    }

    [Fact]
    public async Task AddGrpcLoadBalancing_ChannelResolvesThePool_AndCallsSpread()
    {
        var services = new ServiceCollection();
        services.AddGrpcClient<Echo.Echo.EchoClient>()
            .AddGrpcLoadBalancing("catalog", o =>
            {
                o.Strategy = LoadBalancingStrategies.RoundRobin;
                foreach (var backend in _backends.All)
                {
                    o.Endpoints.Add(backend.Address.ToString());
                }
            });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<Echo.Echo.EchoClient>();
        await WarmUpAsync(client, _backends.All);
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        var before = pool.Endpoints.Sum(e => e.TotalRequests);

        var counts = CountBy(await UnaryAsync(client, 30));

        Assert.All(_backends.All, b => Assert.Equal(10, counts.GetValueOrDefault(b.Name)));
        Assert.Equal(30, pool.Endpoints.Sum(e => e.TotalRequests) - before);
    }

    [Fact]
    public async Task AddGrpcLoadBalancing_WithAnHttpAddress_FailsSayingWhichRouteToUse()
    {
        var services = new ServiceCollection();
        services.AddGrpcClient<Echo.Echo.EchoClient>(o => o.Address = new Uri("http://catalog"))
            .AddGrpcLoadBalancing("catalog", o => o.Endpoints.Add(_backends[0].Address.ToString()));
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<Echo.Echo.EchoClient>());

        Assert.Contains("the policy route needs the address loadstone:///catalog (or none). To balance requests to http://catalog/ instead, use AddLoadBalancing(\"catalog\").", error.Message);
    }
}
