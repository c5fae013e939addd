using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Balancing;

/// <summary>
/// Slow start with one request at a time: a newcomer's share follows its ramp (factor ÷ (peers + factor)) with every
/// strategy that honours weights, instead of 0 % for the whole window and then its full share. Real Kestrel backends,
/// sequential requests, the ramp on the pool's manual clock.
/// </summary>
public sealed class SlowStartAtConcurrencyOneTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(100);

    [Theory]
    [InlineData(LoadBalancingStrategies.PowerOfTwoChoices)]
    [InlineData(LoadBalancingStrategies.LeastRequests)]
    [InlineData(LoadBalancingStrategies.PeakEwma)]
    [InlineData(LoadBalancingStrategies.Random)]
    [InlineData(LoadBalancingStrategies.WeightedRoundRobin)]
    public async Task SendAsync_OneRequestAtATime_NewcomerFollowsTheRamp(string strategy)
    {
        var backends = await TestBackend.StartManyAsync(3);
        try
        {
            var time = TestClock.Create();
            var source = new DynamicEndpointSource("registry", [new LoadBalancedEndpoint(backends[0].Address), new LoadBalancedEndpoint(backends[1].Address)]);
            var setup = Setup(time, strategy);
            setup.Sources.Add(source);
            setup.Options.SlowStart.Window = Window;
            using var pool = setup.Create($"ramp-{strategy}");
            using var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler()));
            await pool.InitializeAsync();
            source.Update([.. backends.Select(b => new LoadBalancedEndpoint(b.Address))]);
            WaitFor(() => pool.Endpoints.Count == 3, "the newcomer");
            var joined = time.GetUtcNow();

            var shares = new List<(double Factor, double Share)>();
            foreach (var step in new[] { 0, 0.25, 0.5, 0.75, 1.0 })
            {
                time.Advance((Window * step) - (time.GetUtcNow() - joined));
                var factor = Status(pool, 2).WeightFactor;
                var before = backends[2].RequestCount;
                for (var i = 0; i < 600; i++)
                {
                    using var response = await client.GetAsync($"http://ramp-{strategy}/items");
                }

                shares.Add((factor, (backends[2].RequestCount - before) / 600.0));
            }

            Assert.Equal([0.1, 0.25, 0.5, 0.75, 1.0], shares.Select(s => Math.Round(s.Factor, 2)));
            foreach (var (factor, share) in shares)
            {
                var expected = factor / (2 + factor);
                Assert.True(Math.Abs(share - expected) < 0.05, $"{strategy}: factor {factor}: share {share:P1}, expected {expected:P1} ({string.Join("; ", shares)})");
            }
        }
        finally
        {
            await StopAll(backends);
        }
    }
}
