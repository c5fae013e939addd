using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Balancing;

public sealed class PeakEwmaStrategyTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Fast = TimeSpan.FromMilliseconds(10);

    [Fact]
    public void Acquire_OneSlowEndpoint_GetsMuchLessTraffic()
    {
        var time = TestClock.Create();
        using var pool = Picks.Pool(LoadBalancingStrategies.PeakEwma, 1, time, 1, 1, 1);

        var counts = Serve(pool, time, 600, i => i == 0 ? Slow : Fast);

        Assert.True(counts[0] <= 600 * 0.02, string.Join(",", counts));
        Assert.True(Math.Abs(counts[1] - counts[2]) <= 60, string.Join(",", counts));
    }

    [Fact]
    public void Acquire_OneEndpointFailingFast_GetsLittleTraffic()
    {
        // A refused connection fails in no time; counted at its raw latency it would look like the best endpoint.
        // Outlier detection off, so only the latency penalty can keep traffic away from the failing endpoint.
        var time = TestClock.Create();
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.PeakEwma };
        options.HealthChecks.Passive.Enabled = false;
        for (var e = 0; e < 3; e++)
        {
            options.Endpoints.Add(Picks.Address(e));
        }

        using var pool = new ServicePool("svc", options, new ServicePoolDependencies { TimeProvider = time, Random = new Random(1) });
        var counts = new int[3];
        for (var i = 0; i < 600; i++)
        {
            var lease = pool.Acquire();
            var index = Picks.IndexOf(pool, lease);
            counts[index]++;
            time.Advance(index == 0 ? TimeSpan.Zero : Fast);
            lease.Complete(index == 0 ? RequestOutcome.ConnectionFailure : RequestOutcome.Success);
        }

        Assert.True(counts[0] <= 600 * 0.05, string.Join(",", counts));
        Assert.True(pool.Endpoints[0].Latency >= TimeSpan.FromMilliseconds(500), pool.Endpoints[0].Latency.ToString());
    }

    [Fact]
    public void Acquire_PowerOfTwoChoicesWithOneSlowEndpoint_IgnoresLatency()
    {
        // The contrast: the same traffic through a latency-blind strategy gives the slow endpoint a full share.
        var time = TestClock.Create();
        using var pool = Picks.Pool(LoadBalancingStrategies.PowerOfTwoChoices, 1, time, 1, 1, 1);

        var counts = Serve(pool, time, 600, i => i == 0 ? Slow : Fast);

        Assert.True(counts[0] >= 150, string.Join(",", counts));
    }

    [Fact]
    public void Complete_SingleSlowResponse_RaisesCostAtOnce()
    {
        var time = TestClock.Create();
        using var pool = Picks.Pool(LoadBalancingStrategies.PeakEwma, 1, time, 1, 1);
        Serve(pool, time, 200, _ => Fast);
        Assert.All(pool.Endpoints, e => Assert.True(e.Latency < TimeSpan.FromMilliseconds(50), e.Latency.ToString()));

        var lease = pool.Acquire();
        var slowIndex = Picks.IndexOf(pool, lease);
        time.Advance(TimeSpan.FromSeconds(2));
        lease.Complete(RequestOutcome.Success);

        Assert.Equal(TimeSpan.FromSeconds(2), pool.Endpoints[slowIndex].Latency);
        var after = Serve(pool, time, 100, _ => Fast);
        Assert.Equal(0, after[slowIndex]);
    }

    [Fact]
    public void Complete_FastAfterSlow_MovesCostByTheDecayWeightOnly()
    {
        var time = TestClock.Create();
        var tau = TimeSpan.FromSeconds(4);
        using var pool = Pool(time, tau, endpoints: 1);
        var state = pool.Endpoints[0];
        Observe(pool, time, TimeSpan.FromSeconds(1));

        time.Advance(tau);
        Observe(pool, time, Fast);

        // cost · w + rtt · (1 − w), w = exp(−Δt/τ), Δt from the previous observation to this one.
        var w = Math.Exp(-(tau + Fast) / tau);
        var expected = (1.0 * w) + (Fast.TotalSeconds * (1 - w));
        Assert.Equal(expected, state.Latency.TotalSeconds, 6);
    }

    [Fact]
    public void Latency_AfterOneDecayTime_FallsToOneOverE()
    {
        var time = TestClock.Create();
        var tau = TimeSpan.FromSeconds(4);
        using var pool = Pool(time, tau, endpoints: 1);
        Observe(pool, time, TimeSpan.FromSeconds(1));

        time.Advance(tau);

        Assert.Equal(Math.Exp(-1), pool.Endpoints[0].Latency.TotalSeconds, 6);
    }

    [Fact]
    public void Latency_BeforeAnyResponse_IsInitialLatency()
    {
        var time = TestClock.Create();
        var options = new LoadBalancingOptions
        {
            Strategy = LoadBalancingStrategies.PeakEwma,
            InitialLatency = TimeSpan.FromMilliseconds(250),
        };
        options.Endpoints.Add(Picks.Address(0));
        using var pool = new ServicePool("svc", options, new ServicePoolDependencies { TimeProvider = time });

        Assert.Equal(TimeSpan.FromMilliseconds(250), pool.Endpoints[0].Latency);
    }

    [Fact]
    public void Acquire_SlowEndpointTurnsFastAndTimePasses_RecoversAfterTheDecay()
    {
        var time = TestClock.Create();
        using var pool = Picks.Pool(LoadBalancingStrategies.PeakEwma, 2, time, 1, 1, 1);
        Serve(pool, time, 300, i => i == 0 ? Slow : Fast);

        // Endpoint 0 is fast again. A short pause (a tenth of τ) leaves it far costlier than the others.
        time.Advance(TimeSpan.FromSeconds(1));
        var soon = Serve(pool, time, 300, _ => Fast);
        Assert.True(soon[0] <= 300 * 0.02, string.Join(",", soon));

        // Ten τ of idleness wash the peak out; it takes its share again.
        time.Advance(TimeSpan.FromSeconds(100));
        var later = Serve(pool, time, 3000, _ => Fast);
        Assert.InRange(later[0], 850, 1150);
    }

    [Fact]
    public void Acquire_SlowEndpointTurnsFastUnderSteadyTraffic_RecoversAfterSomeDecayTimes()
    {
        var time = TestClock.Create();
        using var pool = Picks.Pool(LoadBalancingStrategies.PeakEwma, 4, time, 1, 1, 1);
        Serve(pool, time, 300, i => i == 0 ? Slow : Fast);

        // 15,000 picks of 10 ms = 150 s = 15 τ of traffic in which every endpoint answers fast. The old peak must
        // decay below the others' 10 ms (about 4 τ) before endpoint 0 is tried again, and its average then needs a
        // few τ more to come level, since two-choices gives nothing to an endpoint that is even slightly costlier.
        var sequence = new List<int>();
        for (var i = 0; i < 15_000; i++)
        {
            var lease = pool.Acquire();
            sequence.Add(Picks.IndexOf(pool, lease));
            time.Advance(Fast);
            lease.Complete(RequestOutcome.Success);
        }

        var first = Picks.Histogram(sequence.Take(1000), 3);
        var last = Picks.Histogram(sequence.Skip(12_000), 3);
        Assert.True(first[0] <= 20, string.Join(",", first));
        Assert.InRange(last[0], 850, 1150);
    }

    [Fact]
    public void Acquire_EqualLatencyOneBusy_PicksTheIdleOne()
    {
        var time = TestClock.Create();
        using var pool = Picks.Pool(LoadBalancingStrategies.PeakEwma, 1, time, 1, 1);
        var held = Load.Hold(pool, 0, 3);

        Assert.Equal([0, 100], Picks.Count(pool, 100));
        Load.CompleteAll(held);
    }

    private static ServicePool Pool(FakeTimeProvider time, TimeSpan decay, int endpoints)
    {
        var options = new LoadBalancingOptions
        {
            Strategy = LoadBalancingStrategies.PeakEwma,
            LatencyDecayTime = decay,
        };
        for (var i = 0; i < endpoints; i++)
        {
            options.Endpoints.Add(Picks.Address(i));
        }

        return new ServicePool("svc", options, new ServicePoolDependencies { TimeProvider = time, Random = new Random(1) });
    }

    private static void Observe(ServicePool pool, FakeTimeProvider time, TimeSpan latency)
    {
        var lease = pool.Acquire();
        time.Advance(latency);
        lease.Complete(RequestOutcome.Success);
    }

    /// <summary>Sends <paramref name="count"/> requests one after another, each taking its endpoint's latency.</summary>
    private static int[] Serve(ServicePool pool, FakeTimeProvider time, int count, Func<int, TimeSpan> latency)
    {
        var counts = new int[pool.Endpoints.Count];
        for (var i = 0; i < count; i++)
        {
            var lease = pool.Acquire();
            var index = Picks.IndexOf(pool, lease);
            counts[index]++;
            time.Advance(latency(index));
            lease.Complete(RequestOutcome.Success);
        }

        return counts;
    }

    [Fact]
    public void Acquire_LatenciesDecayedToNothing_InFlightCountsStillDecide()
    {
        // An hour idle decays both latencies to about zero; the +1 tick keeps the cost from collapsing, so the endpoint
        // with 3 requests in flight still costs more than the idle one.
        var time = TestClock.Create();
        using var pool = Picks.Pool(LoadBalancingStrategies.PeakEwma, 1, time, 1, 1);
        time.Advance(TimeSpan.FromHours(1));
        var held = Load.Hold(pool, 0, 3);

        Assert.Equal([0, 200], Picks.Count(pool, 200));
        Load.CompleteAll(held);
    }
}
