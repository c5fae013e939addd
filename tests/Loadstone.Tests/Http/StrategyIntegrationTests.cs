using Microsoft.Extensions.DependencyInjection;
using static Loadstone.Tests.Http.IntegrationTests;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Http;

/// <summary>Every built-in strategy spreads real requests over three real backends as it should.</summary>
public sealed class StrategyIntegrationTests : IClassFixture<ThreeBackendsFixture>
{
    private readonly BackendSet _backends;

    public StrategyIntegrationTests(ThreeBackendsFixture fixture)
    {
        _backends = fixture.Backends;
        _backends.Reset();
    }

    [Fact]
    public async Task RoundRobin_TypedClient_EachBackendGetsExactlyAThird()
    {
        var services = new ServiceCollection();
        services.AddHttpClient<CatalogClient>(c => c.BaseAddress = new Uri("http://catalog"))
            .AddLoadBalancing("catalog", o => Configure(o, LoadBalancingStrategies.RoundRobin));
        await using var provider = services.BuildServiceProvider();
        var catalog = provider.GetRequiredService<CatalogClient>();

        for (var i = 0; i < 300; i++)
        {
            Assert.Equal($"b{i % 3}", await catalog.GetItemsAsync());
        }

        Assert.Equal([100, 100, 100], _backends.Counts);
    }

    [Fact]
    public async Task WeightedRoundRobin_Weights123_EveryCycleGivesExactWeightShares()
    {
        await using var provider = BuildProvider(o =>
        {
            o.Strategy = LoadBalancingStrategies.WeightedRoundRobin;
            for (var i = 0; i < 3; i++)
            {
                o.Endpoints.Add(_backends[i].Address.ToString(), weight: i + 1);
            }
        });
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        for (var cycle = 1; cycle <= 50; cycle++)
        {
            await SendSequentialAsync(client, 6);
            Assert.Equal([cycle, 2 * cycle, 3 * cycle], _backends.Counts);
        }
    }

    [Fact]
    public async Task FirstAvailable_ThreeBackends_AllTrafficToTheFirst()
    {
        await using var provider = BuildProvider(o => Configure(o, LoadBalancingStrategies.FirstAvailable));
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await SendSequentialAsync(client, 60);

        Assert.Equal([60, 0, 0], _backends.Counts);
    }

    [Theory]
    [InlineData(LoadBalancingStrategies.Random)]
    [InlineData(LoadBalancingStrategies.PowerOfTwoChoices)]
    [InlineData(LoadBalancingStrategies.LeastRequests)]
    public async Task RandomisedStrategy_SequentialRequests_SpreadEvenlyWithinChiSquare(string strategy)
    {
        await using var provider = BuildProvider(o => Configure(o, strategy), seed: 1234);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await SendSequentialAsync(client, 450);

        var counts = _backends.Counts;
        Assert.Equal(450, counts.Sum());
        Assert.InRange(ChiSquare(counts, [1 / 3d, 1 / 3d, 1 / 3d]), 0, ChiSquare2DofP001);
    }

    [Fact]
    public async Task Random_Weights112_SpreadsInProportionWithinChiSquare()
    {
        await using var provider = BuildProvider(o =>
        {
            o.Strategy = LoadBalancingStrategies.Random;
            o.Endpoints.Add(_backends[0].Address.ToString(), weight: 1);
            o.Endpoints.Add(_backends[1].Address.ToString(), weight: 1);
            o.Endpoints.Add(_backends[2].Address.ToString(), weight: 2);
        }, seed: 99);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await SendSequentialAsync(client, 400);

        var counts = _backends.Counts;
        Assert.InRange(ChiSquare(counts, [0.25, 0.25, 0.5]), 0, ChiSquare2DofP001);
        Assert.True(counts[2] > counts[0] && counts[2] > counts[1], $"The weight-2 backend should lead: {string.Join(", ", counts)}.");
    }

    [Fact]
    public async Task PeakEwma_EqualLatency_SpreadsEvenlyWithinChiSquare()
    {
        // A clock that stands still makes every latency equal, so only the random pair decides.
        await using var provider = BuildProvider(o => Configure(o, LoadBalancingStrategies.PeakEwma), seed: 7, TestClock.Create());
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await SendSequentialAsync(client, 450);

        Assert.InRange(ChiSquare(_backends.Counts, [1 / 3d, 1 / 3d, 1 / 3d]), 0, ChiSquare2DofP001);
    }

    [Fact]
    public async Task PeakEwma_OneSlowBackend_SequentialRequestsAvoidIt()
    {
        // Latency is measured on the pool's clock; a handler after the balancer moves that clock forward by 100 ms for
        // each request to b0 and by 1 ms for the others, so b0 is slow in a way that does not depend on machine load.
        var time = TestClock.Create();
        var slowPort = _backends[0].Port;
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSeededLoadBalancedHttpClient("catalog", seed: 11, o => Configure(o, LoadBalancingStrategies.PeakEwma))
            .AddHttpMessageHandler(() => new ClockAdvancingHandler(time, r => TimeSpan.FromMilliseconds(r.RequestUri!.Port == slowPort ? 100 : 1)));
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");

        await SendSequentialAsync(client, 150);

        var counts = _backends.Counts;
        Assert.True(counts[0] <= 5, $"The slow backend got {counts[0]} of 150 requests; expected a handful at most.");
        Assert.True(counts[1] >= 50 && counts[2] >= 50, $"The fast backends should share the rest: {string.Join(", ", counts)}.");
        var latencies = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog").Endpoints.Select(e => e.Latency).ToArray();
        Assert.True(latencies[0] > latencies[1] && latencies[0] > latencies[2], $"Latencies: {string.Join(", ", latencies)}.");
    }

    [Theory]
    [InlineData(LoadBalancingStrategies.LeastRequests)]
    [InlineData(LoadBalancingStrategies.PowerOfTwoChoices)]
    public async Task InFlightAwareStrategy_OneBackendHoldsRequests_NewRequestsGoElsewhere(string strategy)
    {
        await using var provider = BuildProvider(o => Configure(o, strategy)); // concurrent picks: never a seeded Random
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        _backends[0].Delay = TimeSpan.FromSeconds(30); // b0 holds every request until the test cancels it
        using var stop = new CancellationTokenSource();
        var succeeded = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Four concurrent callers send until 120 requests have been answered.
        async Task CallerAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync("/items", stop.Token);
                    response.EnsureSuccessStatusCode();
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }

                if (Interlocked.Increment(ref succeeded) >= 120)
                {
                    done.TrySetResult();
                    return;
                }
            }
        }

        var callers = Enumerable.Range(0, 4).Select(_ => Task.Run(CallerAsync)).ToArray();
        var finished = await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        var held = pool.Endpoints[0].ActiveRequests;
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        // Once b0 holds two requests, each of the two free callers sees a fast backend with fewer in flight. Round robin
        // would park every caller on b0 and never get there.
        Assert.Same(done.Task, finished);
        Assert.InRange(held, 0, 2);
        Assert.True(_backends[1].RequestCount + _backends[2].RequestCount >= 120, $"Counts: {string.Join(", ", _backends.Counts)}.");
        Assert.All(pool.Endpoints, e => Assert.Equal(0, e.ActiveRequests));
    }

    private void Configure(LoadBalancingOptions options, string strategy)
    {
        options.Strategy = strategy;
        foreach (var backend in _backends.All)
        {
            options.Endpoints.Add(backend.Address.ToString());
        }
    }

    private static ServiceProvider BuildProvider(Action<LoadBalancingOptions> configure, int? seed = null, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddLoadBalancedHttpClient("catalog", configure);
        if (seed is { } s)
        {
            services.AddLoadBalancedService("catalog").UseRandom(new Random(s));
        }

        if (time is not null)
        {
            services.AddSingleton(time);
        }

        return services.BuildServiceProvider();
    }

    /// <summary>Sits after the balancer and moves the pool's clock forward as if the request took that long.</summary>
    private sealed class ClockAdvancingHandler(FakeTimeProvider time, Func<HttpRequestMessage, TimeSpan> latency) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            time.Advance(latency(request));
            return response;
        }
    }

    public sealed class CatalogClient(HttpClient http)
    {
        public Task<string> GetItemsAsync() => http.GetStringAsync("/items");
    }
}
