using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loadstone.Scaling.Tests;

/// <summary><c>AddScalingGroup</c> with a real host: wiring to the pool and the HttpClient, start and stop.</summary>
public sealed class ScalingGroupRegistrationTests
{
    [Fact]
    public async Task AddScalingGroup_HostStarted_PoolRoutesToTheInstancesTheGroupLaunched()
    {
        var launcher = new InMemoryInstanceLauncher();
        using var host = BuildHost(TestClock.Create(), launcher, o =>
        {
            o.Group.MinSize = 3;
            o.Group.MaxSize = 6;
        });

        await host.StartAsync();
        var group = host.Services.GetRequiredKeyedService<ScalingGroup>("catalog");
        var pool = host.Services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");

        var launched = launcher.Running.Select(i => i.Endpoint.Id).Order().ToList();
        Assert.Equal(3, launched.Count);
        Assert.Same(launcher, group.Launcher);
        Assert.Equal(launched, pool.Endpoints.Select(e => e.Endpoint.Id).Order());
        var picked = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            var lease = pool.Acquire();
            picked.Add(lease.Endpoint.Id);
            lease.Complete(RequestOutcome.Success);
        }

        Assert.Equal(launched, picked.Order());
        await host.StopAsync();
    }

    [Fact]
    public async Task AddScalingGroup_InFlightAboveTarget_TargetTrackingScalesOutOnThePoolsMetrics()
    {
        var time = TestClock.Create();
        var launcher = new InMemoryInstanceLauncher();
        using var host = BuildHost(time, launcher, o =>
        {
            o.Group.MinSize = 2;
            o.Group.MaxSize = 6;
            o.Group.Policies.Add(new TargetTrackingScalingPolicy { Name = "in-flight", Metric = ScalingMetric.AverageInFlightRequests, TargetValue = 5 });
        });
        await host.StartAsync();
        var group = host.Services.GetRequiredKeyedService<ScalingGroup>("catalog");
        var pool = host.Services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");

        // 20 in flight on 2 instances: 10 each, twice the target. Without the pool attached the metric is missing.
        var leases = Enumerable.Range(0, 20).Select(_ => pool.Acquire()).ToList();
        time.AdvanceInSteps(TimeSpan.FromSeconds(181));

        Assert.Equal(4, group.DesiredCapacity);
        Assert.Equal(4, launcher.Running.Count);
        Assert.Equal(4, pool.Endpoints.Count);
        leases.ForEach(l => l.Complete(RequestOutcome.Success));
        await host.StopAsync();
    }

    [Fact]
    public async Task AddScalingGroup_ProcessInstances_HttpClientRequestsReachThemUntilTheHostStops()
    {
        using var launcher = new ProcessInstanceLauncher(ProcessInstanceLauncherTests.BackendOptions());
        using var host = BuildHost(null, launcher, o =>
        {
            o.Group.MinSize = 2;
            o.Group.MaxSize = 4;
            o.WaitForCapacityTimeout = TimeSpan.FromSeconds(30);
        });

        await host.StartAsync();
        var group = host.Services.GetRequiredKeyedService<ScalingGroup>("catalog");
        var processes = launcher.ProcessIds.ToList();
        Assert.Equal(2, processes.Count);
        Assert.Equal(2, group.Instances.Count(i => i.State == ScalingInstanceState.InService));

        // Each backend answers "{instance} {zone} {pid}"; round robin sends three requests to each.
        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        var answers = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await client.GetStringAsync(new Uri("/", UriKind.Relative)));
        }

        Assert.Equal(processes.Order(), answers.Select(a => int.Parse(a.Split(' ')[^1], CultureInfo.InvariantCulture)).Distinct().Order());
        Assert.All(answers.GroupBy(a => a), g => Assert.Equal(3, g.Count()));

        await host.StopAsync();
        Assert.Empty(launcher.ProcessIds);
        Assert.All(processes, pid => Assert.True(ProcessInstanceLauncherTests.HasExited(pid), $"process {pid} still runs"));
        Assert.All(group.Instances, i => Assert.Equal(ScalingInstanceState.Stopping, i.State));
        Assert.Throws<ObjectDisposedException>(group.Start);
    }

    [Fact]
    public async Task AddScalingGroup_HostStopped_StopsEveryInstance()
    {
        var launcher = new InMemoryInstanceLauncher();
        using var host = BuildHost(TestClock.Create(), launcher, o =>
        {
            o.Group.MinSize = 3;
            o.Group.MaxSize = 3;
        });
        await host.StartAsync();
        Assert.Equal(3, launcher.Running.Count);

        await host.StopAsync();

        Assert.Empty(launcher.Running);
        Assert.Equal(3, launcher.StopCount);
    }

    [Fact]
    public async Task AddScalingGroup_CalledTwice_RegistersOneGroupWithBothConfigurations()
    {
        var launcher = new InMemoryInstanceLauncher();
        using var host = BuildHost(TestClock.Create(), launcher, o =>
        {
            o.Group.MinSize = 2;
            o.Group.MaxSize = 5;
        }, services => services.AddScalingGroup("catalog", o => o.Group.MinSize = 3));

        await host.StartAsync();
        var pool = host.Services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");

        Assert.Single(host.Services.GetServices<IHostedService>().OfType<ScalingGroupHostedService>());
        Assert.Equal(3, launcher.Running.Count);
        Assert.Equal(3, pool.Endpoints.Count);
        await host.StopAsync();
    }

    [Fact]
    public void AddScalingGroup_CalledTwice_SecondCallAddsConfigurationOnly()
    {
        var services = new ServiceCollection();
        services.AddScalingGroup("catalog", o => o.Group.MinSize = 1).UseLauncher(_ => new InMemoryInstanceLauncher());
        var first = services.ToList();

        services.AddLoadBalancedService("catalog").AddScalingGroup(o => o.Group.MinSize = 3);

        var added = services.Except(first).ToList();
        Assert.NotEmpty(added);
        Assert.All(added, d => Assert.Equal(typeof(IConfigureOptions<>), d.ServiceType.GetGenericTypeDefinition()));
        Assert.Single(services, d => d.ServiceType == typeof(ScalingGroup) && Equals(d.ServiceKey, "catalog"));
    }

    [Fact]
    public void AddScalingGroup_InvalidServiceName_ThrowsNamingTheRule()
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddScalingGroup("not a host", _ => { }));
        Assert.Contains("is not a valid logical service name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddScalingGroup_InvalidRegistration_StartFailsNamingEverySetting()
    {
        using var host = BuildHost(TestClock.Create(), null, o =>
        {
            o.Group.MinSize = 4;
            o.Group.MaxSize = 2;
            o.WaitForCapacityTimeout = TimeSpan.FromHours(2);
        });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var failures = Failures(error);
        Assert.Contains("Scaling group 'catalog' has no launcher; give it one with UseLauncher on the builder AddScalingGroup returns (AddScalingGroup(...).UseLauncher(sp => ...)).", failures);
        Assert.Contains("Scaling group 'catalog': MinSize (4) must not exceed MaxSize (2).", failures);
        Assert.Contains("Scaling group 'catalog': WaitForCapacityTimeout (02:00:00) must be between 00:00:00 and 01:00:00.", failures);
    }

    [Fact]
    public async Task AddScalingGroup_CapacityNeverInService_StartTimesOutAfterWaitForCapacityTimeout()
    {
        var time = TestClock.Create();
        var launcher = new InMemoryInstanceLauncher();
        launcher.FailNextLaunches(1_000);
        using var host = BuildHost(time, launcher, o =>
        {
            o.Group.MinSize = 2;
            o.Group.MaxSize = 2;
            o.WaitForCapacityTimeout = TimeSpan.FromSeconds(30);
        });

        var start = host.StartAsync();
        for (var i = 0; i < 100 && !start.IsCompleted; i++)
        {
            time.AdvanceInSteps(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        var error = await Assert.ThrowsAsync<TimeoutException>(() => start);
        Assert.Contains("did not reach its desired capacity (2) in service within WaitForCapacityTimeout (00:00:30); 0 in service", error.Message, StringComparison.Ordinal);
        Assert.True(time.GetUtcNow() - new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) >= TimeSpan.FromSeconds(30));
        Assert.Equal(0, launcher.LaunchCount);
    }

    private static IHost BuildHost(TimeProvider? time, IInstanceLauncher? launcher, Action<ScalingGroupRegistrationOptions> configure, Action<IServiceCollection>? more = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddLoadBalancedHttpClient("catalog", o =>
        {
            o.Strategy = LoadBalancingStrategies.RoundRobin;
            o.Retries.Enabled = false;
        });
        var group = builder.Services.AddScalingGroup("catalog", configure);
        if (launcher is not null)
        {
            group.UseLauncher(_ => launcher);
        }

        more?.Invoke(builder.Services);
        return builder.Build();
    }

    private static List<string> Failures(Exception error) => error switch
    {
        OptionsValidationException o => [.. o.Failures],
        AggregateException a => [.. a.InnerExceptions.SelectMany(Failures).Distinct()],
        _ => [error.Message],
    };
}
