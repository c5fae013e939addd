using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Health;

/// <summary>Slow start: the ramp of a newly healthy endpoint's weight, and when an endpoint enters it.</summary>
public sealed class SlowStartTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(100);

    /// <summary>A pool whose source starts with endpoint 0; endpoint 1 is added (at the current time) by the caller.</summary>
    private static async Task<(ServicePool Pool, FakeTimeProvider Time, DynamicEndpointSource Source)> CreateAsync(
        Action<SlowStartOptions>? configure = null, string strategy = LoadBalancingStrategies.WeightedRoundRobin)
    {
        var time = TestClock.Create();
        var source = new DynamicEndpointSource("registry", [new LoadBalancedEndpoint(Fake(0))]);
        var setup = Setup(time, strategy);
        setup.Sources.Add(source);
        setup.Options.SlowStart.Window = Window;
        configure?.Invoke(setup.Options.SlowStart);
        var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        return (pool, time, source);
    }

    private static void AddSecond(ServicePool pool, DynamicEndpointSource source)
    {
        source.Update([new LoadBalancedEndpoint(Fake(0)), new LoadBalancedEndpoint(Fake(1))]);
        WaitFor(() => pool.Endpoints.Count == 2, "the second endpoint");
    }

    private static double Factor(ServicePool pool, int index) => Status(pool, index).WeightFactor;

    [Fact]
    public async Task Ramp_Default_LinearFromTheFloorToFull()
    {
        var (pool, time, source) = await CreateAsync();
        using var _1 = pool;
        AddSecond(pool, source);

        Assert.Equal(0.10, Factor(pool, 1), 6); // the 10 % floor at the start
        Assert.Equal(1.0, Factor(pool, 0));
        time.Advance(Window * 0.25);
        Assert.Equal(0.25, Factor(pool, 1), 6);
        time.Advance(Window * 0.25);
        Assert.Equal(0.50, Factor(pool, 1), 6);
        time.Advance(Window * 0.5);
        Assert.Equal(1.0, Factor(pool, 1), 6);
        Assert.Null(pool.Endpoints[1].SlowStartSince); // left slow start
    }

    [Theory]
    [InlineData(10, 1.0, 0.05, 0.10)]
    [InlineData(30, 1.0, 0.25, 0.30)]
    [InlineData(30, 1.0, 0.50, 0.50)]
    [InlineData(10, 2.0, 0.25, 0.50)]
    [InlineData(10, 2.0, 0.50, 0.7071068)]
    [InlineData(10, 0.5, 0.50, 0.25)]
    [InlineData(10, 0.5, 0.20, 0.10)]
    public async Task Ramp_FloorAndAggression_FollowEnvoysFormula(int minimumPercent, double aggression, double progress, double expected)
    {
        var (pool, time, source) = await CreateAsync(s => (s.MinimumWeightPercent, s.Aggression) = (minimumPercent, aggression));
        using var _1 = pool;
        AddSecond(pool, source);

        time.Advance(Window * progress);

        Assert.Equal(expected, Factor(pool, 1), 6);
    }

    [Fact]
    public async Task Entry_EndpointsStartingTogether_DoNotRamp()
    {
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.WeightedRoundRobin, Fake(0), Fake(1));
        setup.Options.SlowStart.Window = Window;
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        time.Advance(TimeSpan.FromSeconds(1));

        Assert.All(pool.GetStatus().Endpoints, e => Assert.Equal(1.0, e.WeightFactor));
    }

    [Fact]
    public async Task Entry_EndpointsStartingTogetherWithActiveChecks_DoNotRamp()
    {
        var time = TestClock.Create();
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        var setup = Setup(time, LoadBalancingStrategies.WeightedRoundRobin, a.Address.ToString(), b.Address.ToString(), c.Address.ToString());
        EnableActive(setup);
        setup.Options.SlowStart.Window = Window;
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        time.Advance(TimeSpan.Zero); // the three first probes pass one after the other

        WaitFor(() => pool.Endpoints.All(s => s.Health == EndpointHealth.Healthy), "all healthy");
        Assert.All(pool.GetStatus().Endpoints, e => Assert.Equal(1.0, e.WeightFactor));
    }

    [Fact]
    public async Task Entry_EndpointAddedToAPoolOfInitialEndpoints_DoesNotRamp()
    {
        var time = TestClock.Create();
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        var source = new DynamicEndpointSource("registry", [new LoadBalancedEndpoint(a.Address)]);
        var setup = Setup(time, LoadBalancingStrategies.WeightedRoundRobin);
        setup.Sources.Add(source);
        EnableActive(setup);
        setup.Options.SlowStart.Window = Window;
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        source.Update([new LoadBalancedEndpoint(a.Address), new LoadBalancedEndpoint(b.Address)]); // nothing healthy yet: like registering together
        WaitFor(() => pool.Endpoints.Count == 2, "both registered");

        time.Advance(TimeSpan.Zero);

        WaitFor(() => pool.Endpoints.All(s => s.Health == EndpointHealth.Healthy), "all healthy");
        Assert.All(pool.GetStatus().Endpoints, e => Assert.Equal(1.0, e.WeightFactor));
    }

    [Fact]
    public async Task Entry_NewEndpointJoiningHealthyOnesWithActiveChecks_Ramps()
    {
        var time = TestClock.Create();
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        var source = new DynamicEndpointSource("registry", [new LoadBalancedEndpoint(a.Address)]);
        var setup = Setup(time, LoadBalancingStrategies.WeightedRoundRobin);
        setup.Sources.Add(source);
        EnableActive(setup);
        setup.Options.SlowStart.Window = Window;
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        time.Advance(TimeSpan.Zero);
        WaitFor(() => pool.Endpoints[0].Health == EndpointHealth.Healthy, "the first healthy");

        source.Update([new LoadBalancedEndpoint(a.Address), new LoadBalancedEndpoint(b.Address)]);
        WaitFor(() => pool.Endpoints.Count == 2, "the second registered");
        Assert.Equal(EndpointHealth.Initial, Status(pool, 1).Health);
        time.Advance(TimeSpan.Zero);
        // The health flag turns before the snapshot that starts the ramp is published (both under the pool's lock, in
        // that order); the status view reads both without it, so wait for the published ramp too.
        WaitFor(() => pool.Endpoints[1].Health == EndpointHealth.Healthy && Factor(pool, 1) < 1.0, "the second healthy and ramping");

        Assert.Equal(0.1, Factor(pool, 1), 6);
        Assert.Equal(1.0, Factor(pool, 0));
    }

    [Fact]
    public async Task Entry_StartingEndpointFailsItsFirstChecksThenPasses_Ramps()
    {
        var time = TestClock.Create();
        await using var a = await TestBackend.StartAsync("a");
        await using var booting = await TestBackend.StartAsync("booting");
        booting.StatusCode = 503;
        var setup = Setup(time, LoadBalancingStrategies.WeightedRoundRobin, a.Address.ToString(), booting.Address.ToString());
        EnableActive(setup, x => (x.UnhealthyThreshold, x.HealthyThreshold) = (1, 2));
        setup.Options.SlowStart.Window = Window;
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        time.Advance(TimeSpan.Zero);
        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Healthy && Status(pool, 1).Health == EndpointHealth.Unhealthy, "one up, one booting");

        booting.StatusCode = 200;
        time.Advance(TimeSpan.FromSeconds(10));
        // Both answers, or the next advance would time the other endpoint's probe out.
        WaitFor(() => pool.Endpoints[1].ProbeSuccesses == 1 && pool.Endpoints[0].ProbeSuccesses == 2, "the first pass");
        time.Advance(TimeSpan.FromSeconds(10));
        WaitFor(() => Status(pool, 1).Health == EndpointHealth.Healthy && Factor(pool, 1) < 1.0, "healthy after two passes, and ramping");

        Assert.Equal(0.1, Factor(pool, 1), 6); // a cold instance ramps, though it was registered with the others
        Assert.Equal(1.0, Factor(pool, 0));
    }

    [Fact]
    public async Task Entry_OtherHealthyEndpointOnlyInSlowStart_DoesNotRamp()
    {
        var (pool, time, source) = await CreateAsync(strategy: LoadBalancingStrategies.WeightedRoundRobin);
        using var _1 = pool;
        AddSecond(pool, source);
        Assert.Equal(0.1, Factor(pool, 1), 6);
        source.Update([new LoadBalancedEndpoint(Fake(1))]); // the settled one leaves; the ramping one stays

        source.Update([new LoadBalancedEndpoint(Fake(1)), new LoadBalancedEndpoint(Fake(2))]);
        WaitFor(() => pool.Endpoints.Count == 2, "the third endpoint");
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(new LoadBalancedEndpoint(Fake(2)), pool.Endpoints[1].Endpoint);
        Assert.Equal(1.0, Factor(pool, 1)); // no healthy endpoint outside slow start when it arrived
        Assert.True(Factor(pool, 0) < 1.0);
    }

    [Fact]
    public async Task Ramp_EndpointEjectedDuringSlowStart_LeavesAndReentersWhenBack()
    {
        var (pool, time, source) = await CreateAsync(strategy: LoadBalancingStrategies.WeightedRoundRobin);
        using var _1 = pool;
        AddSecond(pool, source);
        time.Advance(Window * 0.5);
        Assert.Equal(0.5, Factor(pool, 1), 6);

        CompleteOn(pool, pool.Endpoints[1], RequestOutcome.ConnectionFailure, 5);
        Assert.Equal(EndpointHealth.Unhealthy, Status(pool, 1).Health);
        Assert.Null(pool.Endpoints[1].SlowStartSince);
        time.Advance(TimeSpan.FromSeconds(30)); // the ejection ends

        Assert.Equal(EndpointHealth.Unchecked, Status(pool, 1).Health);
        Assert.Equal(0.1, Factor(pool, 1), 6); // the ramp starts over
    }

    [Fact]
    public async Task Picks_WeightedRoundRobin_ShareFollowsTheFactor()
    {
        var (pool, time, source) = await CreateAsync(strategy: LoadBalancingStrategies.WeightedRoundRobin);
        using var _1 = pool;
        AddSecond(pool, source);

        Assert.Equal([100, 10], Picks(pool, 110)); // 1 : 0.1
        time.Advance(Window * 0.25);
        Assert.Equal([100, 25], Picks(pool, 125)); // 1 : 0.25
        time.Advance(Window * 0.75);
        Assert.Equal([50, 50], Picks(pool, 100));
    }

    [Fact]
    public async Task Ramp_WindowZero_NoSlowStart()
    {
        var (pool, _, source) = await CreateAsync(s => s.Window = TimeSpan.Zero);
        using var _1 = pool;

        AddSecond(pool, source);

        Assert.Equal(1.0, Factor(pool, 1));
    }

    private static int[] Picks(ServicePool pool, int count)
    {
        var counts = new int[2];
        for (var i = 0; i < count; i++)
        {
            var lease = pool.Acquire();
            counts[ReferenceEquals(lease.State, pool.Endpoints[0]) ? 0 : 1]++;
            lease.Complete(RequestOutcome.Success);
        }

        return counts;
    }

    [Fact]
    public async Task Ramp_EndpointEjectedDuringSlowStart_NoReducedWeightLeftWhileOut()
    {
        var (pool, time, source) = await CreateAsync(strategy: LoadBalancingStrategies.WeightedRoundRobin);
        using var _1 = pool;
        AddSecond(pool, source);
        time.Advance(Window * 0.5);

        CompleteOn(pool, pool.Endpoints[1], RequestOutcome.ConnectionFailure, 5);

        // Out of traffic: its factor is back to 1 (no half-ramp to resume later, and none shown in its status).
        Assert.Equal(EndpointHealth.Unhealthy, Status(pool, 1).Health);
        Assert.Equal(1.0, Factor(pool, 1));
        Assert.Equal(1.0, pool.Endpoints[1].WeightFactor);
    }

    [Theory]
    [InlineData(-30)]
    [InlineData(-0.001)]
    public void Factor_ClockSteppedBack_TheFloorNotNaN(double elapsedSeconds)
    {
        // A wall clock set back makes the time since the ramp began negative: the ramp stays at its floor.
        var options = new SlowStartOptions { Window = Window, MinimumWeightPercent = 10, Aggression = 2 };

        Assert.Equal(0.1, SlowStart.Factor(TimeSpan.FromSeconds(elapsedSeconds), options));
    }
}
