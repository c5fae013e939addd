using Xunit.Abstractions;

namespace Loadstone.Scaling.Tests;

/// <summary>
/// A day of sinusoidal load in virtual time: target tracking on in-flight requests against a fixed pool sized for the
/// peak. Short requests are modelled by re-acquiring every request each 10 s step (so new instances get their share).
/// </summary>
public sealed class TargetTrackingSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Simulation_DayOfSinusoidalLoad_HoldsNearTargetWithFewerInstanceHours()
    {
        const double target = 10;
        var step = TimeSpan.FromSeconds(10);
        using var kit = new ScalingTestKit(o =>
        {
            o.MinSize = 2;
            o.MaxSize = 40;
            o.DesiredCapacity = 10; // sized for the load at midnight, so the figures show the day, not a cold start
            o.InstanceWarmup = TimeSpan.FromSeconds(60);
            o.ReconcileInterval = step;
            o.Policies.Add(new TargetTrackingScalingPolicy { Name = "inflight", Metric = ScalingMetric.AverageInFlightRequests, TargetValue = target });
        });
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin, DeregistrationDelay = TimeSpan.Zero };
        using var pool = new ServicePool("web", options, new ServicePoolDependencies { TimeProvider = kit.Time, EndpointSources = [kit.Group.EndpointSource] });
        await pool.InitializeAsync();
        kit.Group.AttachPool(pool);

        // In flight: 100 ± 80 over the day (peak 180, trough 20), i.e. ideally 2 to 18 instances at 10 each.
        static double Load(int s) => 100 + (80 * Math.Sin(2 * Math.PI * s / 86_400));
        var leases = new List<EndpointLease>();
        double instanceSeconds = 0, perInstanceSum = 0;
        int steps = 0, within = 0, above = 0;
        var worst = 0.0;
        for (var s = 0; s < 86_400; s += (int)step.TotalSeconds)
        {
            leases.ForEach(l => l.Complete(RequestOutcome.Success));
            leases.Clear();
            var inFlight = (int)Math.Round(Load(s));
            for (var i = 0; i < inFlight; i++)
            {
                leases.Add(pool.Acquire());
            }

            var serving = kit.InService.Count;
            var perInstance = inFlight / (double)serving;
            perInstanceSum += perInstance;
            worst = Math.Max(worst, perInstance);
            within += perInstance is >= target * 0.7 and <= target * 1.2 ? 1 : 0;
            above += perInstance > target * 1.2 ? 1 : 0;
            instanceSeconds += serving * step.TotalSeconds;
            steps++;
            kit.Advance(step);
        }

        leases.ForEach(l => l.Complete(RequestOutcome.Success));
        var instanceHours = instanceSeconds / 3600;
        var fixedHours = Math.Ceiling(180 / target) * 24;
        var actions = kit.Group.Activities.Count(a => a.Kind == ScalingActivityKind.CapacityChange);
        output.WriteLine($"mean in-flight per instance {perInstanceSum / steps:F2} (target {target}), worst {worst:F1}");
        output.WriteLine($"time within 70–120 % of target {100.0 * within / steps:F1} %, above 120 % {100.0 * above / steps:F1} %");
        output.WriteLine($"scaling actions {actions}, instance-hours {instanceHours:F0} vs fixed peak-sized pool {fixedHours:F0}");

        Assert.InRange(perInstanceSum / steps, target * 0.7, target * 1.1);
        Assert.True(above * 100 < steps * 5, $"above 120 % of target for {100.0 * above / steps:F1} % of the day");
        Assert.True(instanceHours < fixedHours * 0.75, $"{instanceHours:F0} instance-hours is not clearly below the fixed pool's {fixedHours}");
        Assert.InRange(actions, 10, 200);
    }
}
