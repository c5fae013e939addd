using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Loadstone.Scaling.Tests;

/// <summary>
/// The group launches real child processes (tests/Loadstone.TestBackend), the balancer routes to them through
/// HttpClient, and the group's clock is driven by hand: a killed instance is replaced, load scales out, idleness
/// scales in with draining — and no client request fails (retries are off so failures would show).
/// </summary>
public sealed class ScalingProcessIntegrationTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Group_RealProcesses_ReplacesKilledScalesOutAndScalesInWithDraining()
    {
        var time = TestClock.Create();
        using var launcher = new ProcessInstanceLauncher(ProcessInstanceLauncherTests.BackendOptions());
        var options = new ScalingGroupOptions
        {
            MinSize = 2,
            MaxSize = 4,
        };
        options.AvailabilityZones.Add("a");
        options.AvailabilityZones.Add("b");
        options.Policies.Add(new TargetTrackingScalingPolicy { Name = "inflight", Metric = ScalingMetric.AverageInFlightRequests, TargetValue = 2 });
        await using var group = new ScalingGroup("catalog", options, launcher, new ScalingGroupDependencies { TimeProvider = time, Random = new Random(1) });
        using var changed = new SemaphoreSlim(0);
        group.ActivityEnded += (_, _) => changed.Release();

        async Task UntilAsync(Func<bool> condition, string what)
        {
            var deadline = Stopwatch.StartNew();
            while (!condition())
            {
                var left = s_wait - deadline.Elapsed;
                Assert.True(left > TimeSpan.Zero, $"Timed out waiting until {what}. Activities: {string.Join(" | ", group.Activities)}");
                await changed.WaitAsync(left);
            }
        }

        int InService() => group.Instances.Count(i => i.State == ScalingInstanceState.InService);

        group.Start();
        await UntilAsync(() => InService() == 2, "two instances are in service");

        // The pool drains on the same clock as the group (its deregistration delay, its housekeeping).
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddLoadBalancedHttpClient("catalog", o =>
        {
            o.Strategy = LoadBalancingStrategies.RoundRobin;
            o.Retries.Enabled = false;
            o.DeregistrationDelay = TimeSpan.FromSeconds(60);
        });
        services.AddLoadBalancedService("catalog").AddEndpointSource(group.EndpointSource);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");
        await pool.InitializeAsync();
        group.AttachPool(pool);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        var answers = new List<string>();

        async Task SendAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                answers.Add(await client.GetStringAsync("/"));
            }
        }

        await SendAsync(10);
        Assert.Equal(2, answers.Select(a => a.Split(' ')[0]).Distinct().Count());

        // 1. Kill one instance's process: the next health check replaces it, in the same zone.
        var victim = group.Instances.First(i => i.State == ScalingInstanceState.InService);
        var victimProcess = (Process)victim.Launched!.Handle!;
        victimProcess.Kill();
        await victimProcess.WaitForExitAsync();
        time.AdvanceInSteps(TimeSpan.FromSeconds(1));
        Assert.Equal(ScalingInstanceHealth.Unhealthy, victim.Health);
        await UntilAsync(() => InService() == 2 && victim.State == ScalingInstanceState.Terminated, "the killed instance is replaced");
        var replacement = group.Instances.Single(i => i.LaunchedAt > victim.LaunchedAt);
        Assert.Equal(victim.Zone, replacement.Zone);
        await SendAsync(10);

        // 2. Load: 8 slow requests in flight over 2 instances (4 each, target 2) for three minutes → 4 instances.
        var slow = Enumerable.Range(0, 8).Select(_ => client.GetStringAsync("/slow?ms=2000")).ToList();
        Assert.True(SpinWait.SpinUntil(() => pool.Endpoints.Sum(s => s.ActiveRequests) == 8, s_wait), "the slow requests never got in flight");
        time.AdvanceInSteps(TimeSpan.FromMinutes(3));
        Assert.Equal(4, group.DesiredCapacity);
        await UntilAsync(() => InService() == 4, "the group scales out to four");
        answers.AddRange(await Task.WhenAll(slow));
        await SendAsync(8);
        Assert.Equal(4, answers.TakeLast(8).Distinct().Count());

        // 3. Idle: one slow request on each instance (1 in flight each, under 90 % of 2) for 15 minutes → back to 2.
        //    The two terminated instances drain in the pool (its deregistration delay is 60 s): they stop only after their
        //    request has finished.
        var draining = Enumerable.Range(0, 4).Select(_ => client.GetStringAsync("/slow?ms=5000")).ToList();
        Assert.True(SpinWait.SpinUntil(() => pool.Endpoints.Sum(s => s.ActiveRequests) == 4, s_wait), "the draining requests never got in flight");
        time.AdvanceInSteps(TimeSpan.FromMinutes(15));
        Assert.Equal(2, group.DesiredCapacity);
        var leaving = group.Instances.Where(i => i.State == ScalingInstanceState.Terminating).ToList();
        Assert.Equal(2, leaving.Count);
        Assert.All(leaving, i => Assert.False(((Process)i.Launched!.Handle!).HasExited));
        Assert.Equal(["a", "b"], group.Instances.Where(i => i.State == ScalingInstanceState.InService).Select(i => i.Zone).Order());

        Assert.All(leaving, i => Assert.Contains(pool.Endpoints, s => s.Endpoint == i.Endpoint && s.Health == EndpointHealth.Draining));
        answers.AddRange(await Task.WhenAll(draining));

        // The pool drops the idle endpoints on its next housekeeping tick; the group sees that on its next reconcile tick.
        time.AdvanceInSteps(TimeSpan.FromSeconds(2));
        await UntilAsync(() => leaving.All(i => i.State == ScalingInstanceState.Terminated), "the drained instances stop");
        Assert.Equal(2, launcher.ProcessIds.Count);
        await SendAsync(10);

        // Every request answered (GetStringAsync throws on any failure); 10 + 10 + 8 + 8 + 4 + 10.
        Assert.Equal(50, answers.Count);
        Assert.DoesNotContain(group.Activities, a => a.Status == ScalingActivityStatus.Failed);
    }
}
