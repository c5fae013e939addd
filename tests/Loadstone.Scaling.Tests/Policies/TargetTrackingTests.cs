namespace Loadstone.Scaling.Tests;

public sealed class TargetTrackingTests
{
    private static async Task<(ScalingTestKit Kit, ServicePool Pool)> WithPoolAsync(Action<ScalingGroupOptions> configure)
    {
        var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 20;
            o.DesiredCapacity = 2;
            configure(o);
        });
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin, DeregistrationDelay = TimeSpan.Zero };
        var pool = new ServicePool("web", options, new ServicePoolDependencies { TimeProvider = kit.Time, EndpointSources = [kit.Group.EndpointSource] });
        await pool.InitializeAsync();
        kit.Group.AttachPool(pool);
        return (kit, pool);
    }

    private static TargetTrackingScalingPolicy InFlight(double target, bool disableScaleIn = false) => new()
    {
        Name = "inflight",
        Metric = ScalingMetric.AverageInFlightRequests,
        TargetValue = target,
        DisableScaleIn = disableScaleIn,
    };

    [Fact]
    public async Task InFlightAboveTarget_ThreeMinutes_ScalesOutProportionallyRoundingUp()
    {
        var (kit, pool) = await WithPoolAsync(o => o.Policies.Add(InFlight(5)));
        using var _ = kit;
        using var __ = pool;
        var leases = Enumerable.Range(0, 21).Select(_ => pool.Acquire()).ToList(); // 10.5 per instance

        kit.Seconds(179);
        Assert.Equal(2, kit.Group.DesiredCapacity);
        kit.Seconds(1);
        Assert.Equal(5, kit.Group.DesiredCapacity); // ⌈2 × 10.5 / 5⌉ = ⌈4.2⌉
        Assert.Equal(5, kit.InService.Count);
        var cause = kit.Group.Activities.Last(a => a.Kind == ScalingActivityKind.CapacityChange).Cause;
        Assert.Equal("At 2026-01-01T00:03:00Z target tracking policy 'inflight' (AverageInFlightRequests 10.5 above target 5 on 2 instances) changed the desired capacity from 2 to 5.", cause);
        leases.ForEach(l => l.Complete(RequestOutcome.Success));
    }

    [Fact]
    public async Task Idle_FifteenMinutes_ScalesInOnlyThen()
    {
        var (kit, pool) = await WithPoolAsync(o => { o.DesiredCapacity = 6; o.Policies.Add(InFlight(5)); });
        using var _ = kit;
        using var __ = pool;
        var leases = Enumerable.Range(0, 12).Select(_ => pool.Acquire()).ToList(); // 2 per instance, under 90 % of 5

        kit.Advance(TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1));
        Assert.Equal(6, kit.Group.DesiredCapacity);
        kit.Seconds(1);
        Assert.Equal(3, kit.Group.DesiredCapacity); // ⌈6 × 2 / 5⌉ = ⌈2.4⌉
        leases.ForEach(l => l.Complete(RequestOutcome.Success));
    }

    [Fact]
    public async Task DisableScaleIn_Idle_KeepsCapacity()
    {
        var (kit, pool) = await WithPoolAsync(o => { o.DesiredCapacity = 6; o.Policies.Add(InFlight(5, disableScaleIn: true)); });
        using var _ = kit;
        using var __ = pool;
        kit.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(6, kit.Group.DesiredCapacity);
    }

    [Fact]
    public async Task Warmup_WarmingInstancesNotMeasuredAndCountTowardCapacity()
    {
        var (kit, pool) = await WithPoolAsync(o => { o.InstanceWarmup = TimeSpan.FromMinutes(5); o.Policies.Add(InFlight(5)); });
        using var _ = kit;
        using var __ = pool;
        kit.Advance(TimeSpan.FromMinutes(5)); // web-1 and web-2 are warm
        var leases = Enumerable.Range(0, 20).Select(_ => pool.Acquire()).ToList(); // 10 each

        kit.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(4, kit.Group.DesiredCapacity); // ⌈2 × 10 / 5⌉

        // Still 10 on the warm two; the two warming ones count toward capacity, so no further scale-out.
        kit.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(4, kit.Group.DesiredCapacity);

        // 40 more spread over all four: the warm two carry 20 each, the warming two 10 each (not measured).
        leases.AddRange(Enumerable.Range(0, 40).Select(_ => pool.Acquire()));
        kit.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(8, kit.Group.DesiredCapacity); // ⌈2 × 20 / 5⌉, not ⌈4 × 15 / 5⌉ = 12
        leases.ForEach(l => l.Complete(RequestOutcome.Success));
    }

    [Fact]
    public async Task RequestsPerInstancePerMinute_AboveTarget_ScalesOut()
    {
        var (kit, pool) = await WithPoolAsync(o => o.Policies.Add(new TargetTrackingScalingPolicy
        {
            Name = "rpm",
            Metric = ScalingMetric.RequestsPerInstancePerMinute,
            TargetValue = 100,
        }));
        using var _ = kit;
        using var __ = pool;

        // 600 requests a minute over 2 instances: 300 per instance per minute, 3× the target.
        for (var second = 0; second < 180; second++)
        {
            for (var r = 0; r < 10; r++)
            {
                pool.Acquire().Complete(RequestOutcome.Success);
            }

            kit.Seconds(1);
        }

        Assert.Equal(6, kit.Group.DesiredCapacity);
    }

    private static ScalingTestKit TwoPolicies(Func<double?> a, Func<double?> b, int desired = 4) => new(o =>
    {
        o.MinSize = 1;
        o.MaxSize = 20;
        o.DesiredCapacity = desired;
        o.Policies.Add(new TargetTrackingScalingPolicy { Name = "a", Metric = ScalingMetric.Custom("a", a), TargetValue = 10 });
        o.Policies.Add(new TargetTrackingScalingPolicy { Name = "b", Metric = ScalingMetric.Custom("b", b), TargetValue = 10 });
    });

    [Fact]
    public void TwoPolicies_OneSaysOut_ScalesOutToTheLargest()
    {
        using var kit = TwoPolicies(() => 20, () => 10);
        kit.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(8, kit.Group.DesiredCapacity);
    }

    [Fact]
    public void TwoPolicies_OneSaysInOtherHolds_NoScaleIn()
    {
        using var kit = TwoPolicies(() => 1, () => 10);
        kit.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(4, kit.Group.DesiredCapacity);
    }

    [Fact]
    public void TwoPolicies_BothSayIn_ScalesInToTheLargerCapacity()
    {
        using var kit = TwoPolicies(() => 2.5, () => 5);
        kit.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal(2, kit.Group.DesiredCapacity); // max(⌈4 × 0.25⌉, ⌈4 × 0.5⌉)
    }

    [Fact]
    public void TargetTrackingAndStep_BothScaleOut_LargestCapacityWins()
    {
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 1;
            o.MaxSize = 20;
            o.DesiredCapacity = 2;
            o.Policies.Add(new TargetTrackingScalingPolicy { Name = "tt", Metric = ScalingMetric.Custom("m", () => 30), TargetValue = 10 });
            o.Policies.Add(new StepScalingPolicy
            {
                Name = "step",
                Alarm = new ScalingAlarm { Metric = ScalingMetric.Custom("m2", () => 30), Threshold = 10, Comparison = AlarmComparison.GreaterThanThreshold, EvaluationPeriods = 3 },
                StepAdjustments = { new StepAdjustment(0, null, 1) },
            });
        });
        kit.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(6, kit.Group.DesiredCapacity); // target tracking ⌈2 × 3⌉ beats step +1
        Assert.Contains(kit.Group.Activities, a => a.Cause.Contains("target tracking policy 'tt'", StringComparison.Ordinal));
    }
}
