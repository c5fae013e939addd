using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Affinity;

/// <summary>Sticky keys over real requests to Kestrel backends, through <see cref="LoadBalancingHandler"/>.</summary>
public sealed class StickySessionIntegrationTests
{
    private static ServicePool Pool(TestBackend[] backends, FakeTimeProvider time)
    {
        var sticky = new StickySessionOptions().KeyFromHeader("X-User-Id");
        var options = new LoadBalancingOptions
        {
            Strategy = LoadBalancingStrategies.RoundRobin,
            StickySessions = sticky,
        };
        foreach (var backend in backends)
        {
            options.Endpoints.Add(backend.Address.ToString());
        }

        return new ServicePool("catalog", options, new ServicePoolDependencies { TimeProvider = time, Random = new Random(1) });
    }

    private static async Task<string> GetAsync(HttpClient client, string? user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items");
        if (user is not null)
        {
            request.Headers.Add("X-User-Id", user);
        }

        using var response = await client.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Requests_SameKey_SameBackendAcrossCallsAndAcrossAClientRestart()
    {
        var backends = await TestBackend.StartManyAsync(6);
        try
        {
            var users = Enumerable.Range(0, 60).Select(i => $"user-{i}").ToArray();
            var first = new Dictionary<string, string>();
            using (var pool = Pool(backends, TestClock.Create()))
            using (var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler())))
            {
                foreach (var user in users)
                {
                    first[user] = await GetAsync(client, user);
                    for (var n = 0; n < 4; n++)
                    {
                        Assert.Equal(first[user], await GetAsync(client, user));
                    }
                }
            }

            // A new client process: new pool, no bindings, same endpoints, so the same mapping.
            using (var pool = Pool(backends.Reverse().ToArray(), TestClock.Create()))
            using (var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler())))
            {
                foreach (var user in users)
                {
                    Assert.Equal(first[user], await GetAsync(client, user));
                }
            }

            // The keys use more than one backend, and requests without a key are balanced normally.
            Assert.True(first.Values.Distinct().Count() >= 4);
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Requests_WithoutKey_AreBalancedByTheInnerStrategy()
    {
        var backends = await TestBackend.StartManyAsync(3);
        try
        {
            using var pool = Pool(backends, TestClock.Create());
            using var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler()));
            for (var n = 0; n < 30; n++)
            {
                await GetAsync(client, null);
            }

            Assert.All(backends, b => Assert.Equal(10, b.RequestCount));
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }
}
