using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Loadstone.Tests.Http;

/// <summary>
/// Balancer state lives in the container's <see cref="ServicePool"/>, not in the handler: several clients of one
/// service, and IHttpClientFactory's handler rotation, share it and lose nothing.
/// </summary>
public sealed class HttpClientFactoryIntegrationTests : IClassFixture<ThreeBackendsFixture>
{
    private readonly BackendSet _backends;

    public HttpClientFactoryIntegrationTests(ThreeBackendsFixture fixture)
    {
        _backends = fixture.Backends;
        _backends.Reset();
    }

    [Fact]
    public async Task TwoClientsOfOneService_Interleaved_ShareOnePoolAndOneRoundRobinSequence()
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedHttpClient("catalog", o =>
        {
            o.Strategy = LoadBalancingStrategies.RoundRobin;
            foreach (var backend in _backends.All)
            {
                o.Endpoints.Add(backend.Address.ToString());
            }
        });
        services.AddHttpClient<CatalogClient>(c => c.BaseAddress = new Uri("http://catalog")).AddLoadBalancing("catalog");
        await using var provider = services.BuildServiceProvider();
        var named = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        var typed = provider.GetRequiredService<CatalogClient>();

        var answers = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            answers.Add(i % 2 == 0 ? await named.GetStringAsync("/items") : await typed.Http.GetStringAsync("/items"));
        }

        // One sequence across both clients: b0, b1, b2, b0, ... whichever client sends.
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"b{i % 3}"), answers);
        var registry = provider.GetRequiredService<ServicePoolRegistry>();
        var pool = Assert.Single(registry.Pools);
        Assert.Same(pool, registry.GetPool("catalog"));
        Assert.All(pool.Endpoints, e => Assert.Equal(10, e.TotalRequests));
    }

    [Fact]
    public async Task HandlerRotation_ShortHandlerLifetime_InFlightRequestAndCountersSurviveInThePool()
    {
        var logs = new FakeLogCollector();
        var builds = 0;
        var gate = new GateHandler.Gate();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug).AddRecording(logs));
        services.AddLoadBalancedHttpClient("catalog", o =>
            {
                o.Strategy = LoadBalancingStrategies.RoundRobin;
                foreach (var backend in _backends.All)
                {
                    o.Endpoints.Add(backend.Address.ToString());
                }
            })
            .AddHttpMessageHandler(() =>
            {
                Interlocked.Increment(ref builds);
                return new GateHandler(gate);
            })
            .SetHandlerLifetime(TimeSpan.FromSeconds(1)); // the shortest IHttpClientFactory accepts
        await using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");

        // A request through the first handler chain, held in flight (after the balancer chose b0) until released.
        var oldClient = factory.CreateClient("catalog");
        using var held = new HttpRequestMessage(HttpMethod.Get, "/held");
        held.Headers.Add(GateHandler.HoldHeader, "1");
        var heldResponse = oldClient.SendAsync(held);
        await gate.Entered.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, pool.Endpoints[0].ActiveRequests);

        // The factory retires the chain when its lifetime ends (it has no injectable clock; this waits about 1 s).
        await logs.WaitForAsync(e => e.Message.Contains("expired", StringComparison.OrdinalIgnoreCase)
                && e.Message.Contains("catalog", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        var newClient = factory.CreateClient("catalog");
        var answers = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add(await newClient.GetStringAsync("/items"));
        }

        Assert.Equal(2, Volatile.Read(ref builds));
        Assert.Equal(["b1", "b2", "b0", "b1", "b2"], answers); // the round-robin position carried over
        Assert.Equal(1, pool.Endpoints[0].ActiveRequests); // the new chain sees the old chain's in-flight request

        gate.Release();
        using (var response = await heldResponse)
        {
            Assert.Equal("b0", await response.Content.ReadAsStringAsync());
        }

        Assert.All(pool.Endpoints, e => Assert.Equal(0, e.ActiveRequests));
        Assert.Equal([2, 2, 2], pool.Endpoints.Select(e => (int)e.TotalRequests));
        Assert.Equal([2, 2, 2], _backends.Counts);
    }

    public sealed class CatalogClient(HttpClient http)
    {
        public HttpClient Http { get; } = http;
    }

    /// <summary>Sits after the balancer and holds requests carrying <see cref="HoldHeader"/> until released.</summary>
    private sealed class GateHandler(GateHandler.Gate gate) : DelegatingHandler
    {
        public const string HoldHeader = "X-Test-Hold";

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Headers.Contains(HoldHeader))
            {
                gate.OnEntered();
                await gate.Released.WaitAsync(cancellationToken);
            }

            return await base.SendAsync(request, cancellationToken);
        }

        public sealed class Gate
        {
            private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
            private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public Task Entered => _entered.Task;

            public Task Released => _released.Task;

            public void OnEntered() => _entered.TrySetResult();

            public void Release() => _released.TrySetResult();
        }
    }
}
