using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Pools;

/// <summary>
/// A request that crosses an outlier threshold hands the ejection to the control plane and returns at once: the
/// snapshot (and any strategy preparation, a Maglev table) is rebuilt off the request thread.
/// </summary>
public sealed class ControlPlaneHandOffTests
{
    [Fact]
    public async Task Complete_EjectionThresholdWhileRebuildBlocked_RequestReturnsAndTheEndpointIsAvoidedAtOnce()
    {
        var time = TestClock.Create();
        var strategy = new GatedStrategy();
        var setup = Setup(time, LoadBalancingStrategies.FirstAvailable, Fake(0), Fake(1), Fake(2));
        setup.Strategy = _ => strategy;
        setup.Options.HealthChecks.Passive.ConsecutiveServerErrors = 5;
        setup.Options.HealthChecks.Passive.MaxEjectionPercent = 100;
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        var failing = pool.Endpoints[0];
        strategy.BlockPrepare();

        // Five failures on the request thread; the fifth crosses the threshold. With the rebuild on the request
        // thread, it would wait on the blocked Prepare (under the pool's lock) and never return.
        var requests = Task.Run(() =>
        {
            for (var i = 0; i < 5; i++)
            {
                new EndpointLease(failing, pool.TimeProvider).Complete(RequestOutcome.ServerError);
            }
        });
        await requests.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(strategy.PrepareBlocked.Wait(TimeSpan.FromSeconds(10)), "the control plane is rebuilding");

        try
        {
            // The published snapshot still lists the endpoint as a candidate, yet picks avoid it already.
            Assert.Contains(failing, pool.Snapshot.Candidates.Endpoints.ToArray());
            for (var i = 0; i < 20; i++)
            {
                var lease = pool.Acquire();
                Assert.NotSame(failing, lease.State);
                lease.Complete(RequestOutcome.Success);
            }
        }
        finally
        {
            strategy.ReleasePrepare();
        }

        await pool.SettleAsync();
        Assert.DoesNotContain(failing, pool.Snapshot.Candidates.Endpoints.ToArray());
        Assert.Equal((EndpointHealth.Unhealthy, EndpointHealthReason.EjectedConsecutiveServerErrors), (failing.Health, failing.HealthReason));
        Assert.False(failing.EjectionPending);
    }

    [Fact]
    public async Task Complete_EjectionRefusedByTheCap_EndpointServesAgainOnceDecided()
    {
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.FirstAvailable, Fake(0), Fake(1));
        setup.Options.HealthChecks.Passive.ConsecutiveServerErrors = 2;
        setup.Options.HealthChecks.Passive.MaxEjectionPercent = 0; // one endpoint at most
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        CompleteOn(pool, pool.Endpoints[1], RequestOutcome.ServerError, 2); // ejected: the one allowed
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError, 2); // refused by the cap

        Assert.Equal(EndpointHealth.Unhealthy, pool.Endpoints[1].Health);
        Assert.Equal(EndpointHealth.Unchecked, pool.Endpoints[0].Health);
        Assert.False(pool.Endpoints[0].EjectionPending);
        Assert.Equal(pool.Endpoints[0].Endpoint, Complete(pool, RequestOutcome.Success));
    }

    /// <summary>First-available picks; <see cref="ILoadBalancingStrategy.Prepare"/> can be held to stand for a slow rebuild.</summary>
    private sealed class GatedStrategy : ILoadBalancingStrategy
    {
        private readonly ManualResetEventSlim _release = new(initialState: true);

        public ManualResetEventSlim PrepareBlocked { get; } = new();

        public string Name => "Gated";

        public void BlockPrepare() => _release.Reset();

        public void ReleasePrepare() => _release.Set();

        public object? Prepare(CandidateSet candidates)
        {
            if (!_release.IsSet)
            {
                PrepareBlocked.Set();
                _release.Wait(TimeSpan.FromSeconds(30));
            }

            return null;
        }

        public int Pick(CandidateSet candidates, HttpRequestMessage? request) => 0;
    }
}
