using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Balancing;

/// <summary>
/// Failure-aware picks: an endpoint that fails fast has nothing in flight, yet PowerOfTwoChoices, LeastRequests and
/// PeakEwma must not prefer it. Real Kestrel backends under concurrent load, and the rule itself on leases.
/// </summary>
public sealed class FailureAwarePickTests
{
    [Theory]
    [InlineData(LoadBalancingStrategies.PowerOfTwoChoices)]
    [InlineData(LoadBalancingStrategies.LeastRequests)]
    [InlineData(LoadBalancingStrategies.PeakEwma)]
    public async Task SendAsync_OneBackendFailsFast_ItIsNotPreferred(string strategy)
    {
        var backends = await TestBackend.StartManyAsync(3);
        try
        {
            // b0 answers 500 at once; b1 and b2 take 20 ms, so they always have requests in flight and b0 never does.
            backends[0].StatusCode = 500;
            backends[1].Delay = backends[2].Delay = TimeSpan.FromMilliseconds(20);
            var options = new LoadBalancingOptions { Strategy = strategy };
            options.HealthChecks.Passive.Enabled = false; // no ejection: the pick alone has to avoid it
            foreach (var backend in backends)
            {
                options.Endpoints.Add(backend.Address.ToString());
            }

            using var pool = new ServicePool($"fail-fast-{strategy}", options);
            using var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler()));
            var next = 0;
            async Task Worker()
            {
                while (Interlocked.Increment(ref next) <= 240)
                {
                    using var response = await client.GetAsync($"http://fail-fast-{strategy}/items");
                }
            }

            await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(Worker)));

            // Failure-blind, b0 would win nearly every comparison it is part of (two thirds of picks with two choices).
            var share = (double)backends[0].RequestCount / 240;
            Assert.True(share < 0.10, $"the failing backend got {share:P0} of {string.Join(", ", backends.Select(b => b.RequestCount))}");
        }
        finally
        {
            await StopAll(backends);
        }
    }

    [Fact]
    public void Acquire_RecentFailures_DivideTheCapacityTheComparisonSees()
    {
        using var pool = Picks.Pool(LoadBalancingStrategies.PowerOfTwoChoices, 3, 1, 1, 1);
        for (var i = 0; i < 3; i++)
        {
            new EndpointLease(pool.Endpoints[0], pool.TimeProvider).Complete(RequestOutcome.ConnectionFailure);
        }

        Assert.Equal(0.875, pool.Endpoints[0].RecentFailureRate, 6);
        // One request in flight on each healthy endpoint: (1 + 1) ÷ 1 = 2 against b0's (0 + 1) ÷ (1 − 0.875) = 8.
        var held = new[] { new EndpointLease(pool.Endpoints[1], pool.TimeProvider), new EndpointLease(pool.Endpoints[2], pool.TimeProvider) };

        var counts = Picks.Count(pool, 3_000);

        Assert.Equal(0, counts[0]);
        Load.CompleteAll([.. held]);
    }

    [Fact]
    public async Task RecentFailureRate_HalvesWithEachSuccessAndFadesWithTime()
    {
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, Fake(0), Fake(1));
        setup.Options.HealthChecks.Passive.Enabled = false;
        using var pool = setup.Create("fade");
        await pool.InitializeAsync();
        var state = pool.Endpoints[0];

        CompleteOn(pool, state, RequestOutcome.ServerError, 2);
        Assert.Equal(0.75, state.RecentFailureRate, 6);
        CompleteOn(pool, state, RequestOutcome.Success);
        Assert.Equal(0.375, state.RecentFailureRate, 6);
        time.Advance(TimeSpan.FromSeconds(10)); // one LatencyDecayTime: a factor of 1/e
        Assert.Equal(0.375 / Math.E, state.RecentFailureRate, 3);
    }
}
