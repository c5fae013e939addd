using Microsoft.Extensions.DependencyInjection;

namespace Loadstone.Tests.Http;

public sealed class HandlerSmokeTests
{
    [Fact]
    public async Task RoundRobin_ThreeRealBackends_EachGetsAThird()
    {
        var backends = await TestBackend.StartManyAsync(3);
        try
        {
            var services = new ServiceCollection();
            services.AddLoadBalancedHttpClient("catalog", o =>
            {
                o.Strategy = LoadBalancingStrategies.RoundRobin;
                foreach (var b in backends)
                {
                    o.Endpoints.Add(b.Address.ToString());
                }
            });
            await using var provider = services.BuildServiceProvider();
            var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
            for (var i = 0; i < 30; i++)
            {
                using var response = await client.GetAsync("/items?x=1");
                response.EnsureSuccessStatusCode();
            }

            Assert.All(backends, b => Assert.Equal(10, b.RequestCount));
            Assert.All(backends, b => Assert.All(b.Received, r => Assert.Equal("/items?x=1", r)));
        }
        finally
        {
            foreach (var b in backends)
            {
                await b.DisposeAsync();
            }
        }
    }
}
