using System.Net;
using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Health;

/// <summary>
/// Outlier detection against real Kestrel backends: Envoy's success-rate rule ejects a backend failing 30 % among backends
/// failing 1 %; two of three backends that stop (refusing connections) are both ejected with the default options, beyond
/// MaxEjectionPercent, and no request fails; the status view says why each is out or routable.
/// </summary>
public sealed class RealBackendOutlierTests
{
    [Fact]
    public async Task SuccessRate_OneBackendFails30PercentOthers1Percent_OnlyItIsEjectedAtTheInterval()
    {
        var backends = await TestBackend.StartManyAsync(6);
        try
        {
            // Deterministic patterns without five failures in a row: b0 fails 3 of every 10, the others 1 of every 100.
            backends[0].StatusFor = n => n % 10 < 3 ? 500 : 200;
            foreach (var backend in backends.Skip(1))
            {
                backend.StatusFor = n => n % 100 == 50 ? 500 : 200;
            }

            var time = TestClock.Create();
            var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backends.Select(b => b.Address.ToString()).ToArray());
            using var pool = setup.Create("success-rate");
            using var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler()));
            await pool.InitializeAsync();
            for (var i = 0; i < 600; i++)
            {
                using var response = await client.GetAsync("http://success-rate/items");
            }

            Assert.All(backends, b => Assert.Equal(100, b.RequestCount));
            time.Advance(TimeSpan.FromSeconds(9));
            Assert.Equal(EndpointHealth.Unchecked, Status(pool, 0).Health);
            time.Advance(TimeSpan.FromSeconds(1));

            // Rates 0.70 and 5 × 0.99: mean 0.942, σ 0.108, threshold 0.942 − 1.9 × 0.108 = 0.736.
            Assert.Equal((EndpointHealth.Unhealthy, EndpointHealthReason.EjectedSuccessRate), (Status(pool, 0).Health, Status(pool, 0).Reason));
            Assert.All(Enumerable.Range(1, 5), i => Assert.Equal(EndpointHealth.Unchecked, Status(pool, i).Health));
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Theory]
    [InlineData(LoadBalancingStrategies.RoundRobin)]
    [InlineData(LoadBalancingStrategies.PowerOfTwoChoices)]
    public async Task TwoOfThreeBackendsStop_NoRequestFails_AndTheStatusSaysWhyEachIsOutOrRoutable(string strategy)
    {
        var backends = await TestBackend.StartManyAsync(3);
        var stopped = new List<TestBackend>();
        try
        {
            var options = new LoadBalancingOptions { Strategy = strategy }; // otherwise the defaults: MaxEjectionPercent 10
            foreach (var backend in backends)
            {
                options.Endpoints.Add(backend.Address.ToString());
            }

            using var pool = new ServicePool($"two-stop-{strategy}", options);
            using var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler()));
            var failures = 0;
            async Task Send(int count)
            {
                for (var i = 0; i < count; i++)
                {
                    try
                    {
                        using var response = await client.PostAsync($"http://two-stop-{strategy}/orders", new StringContent("x"));
                        failures += response.StatusCode == HttpStatusCode.OK ? 0 : 1;
                    }
                    catch (HttpRequestException)
                    {
                        failures++;
                    }
                }
            }

            await Send(20);
            foreach (var backend in backends.Skip(1))
            {
                await backend.DisposeAsync(); // stopped: its port now refuses connections
                stopped.Add(backend);
            }

            await Send(200);
            await pool.SettleAsync();

            Assert.Equal(0, failures); // POSTs: only requeues can have saved them
            var status = pool.GetStatus();
            var json = status.ToJson();
            var (live, dead) = (status.Endpoints[0], status.Endpoints.Skip(1).ToArray());
            Assert.True((live.IsRoutable, live.Note) == (true, EndpointRoutingNote.None), json);
            if (strategy == LoadBalancingStrategies.RoundRobin)
            {
                // Each gets its turn, so both reach five refusals in a row: one ejection within the cap (10 % of 3 allows
                // one), the other beyond it, since nothing reaches an endpoint that refuses connections.
                Assert.True(dead.All(e => !e.IsRoutable && e.Reason == EndpointHealthReason.EjectedConsecutiveLocalFailures), json);
                Assert.True(dead.Select(e => e.Note).Order().SequenceEqual([EndpointRoutingNote.None, EndpointRoutingNote.EjectedBeyondMaxEjectionPercent]), json);
                Assert.Contains("\"note\": \"EjectedBeyondMaxEjectionPercent\"", json, StringComparison.Ordinal);
            }
            else
            {
                // Failure-aware picks stop choosing an endpoint after a few refusals, sometimes before its streak reaches
                // five: each refusing endpoint is then either ejected or routable and shown as recently failing.
                Assert.True(dead.All(e => !e.IsRoutable || e.Note == EndpointRoutingNote.RecentlyFailing), json);
            }
        }
        finally
        {
            await StopAll(backends.Except(stopped));
        }
    }
}
