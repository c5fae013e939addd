using System.Collections.Concurrent;
using Loadstone.Scaling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loadstone.Tests.Scaling;

/// <summary><c>AddScalingGroup</c> with a real host: wiring to the pool and the HttpClient, start and stop.</summary>
public sealed class ScalingGroupRegistrationTests
{
    [Fact]
    public async Task AddScalingGroup_HostStarted_PoolRoutesToTheInstancesTheGroupLaunched()
    {
        var launcher = new InMemoryInstanceLauncher();
        using var host = BuildHost(new ManualTimeProvider(), o =>
        {
            o.LauncherFactory = _ => launcher;
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
        var time = new ManualTimeProvider();
        var launcher = new InMemoryInstanceLauncher();
        using var host = BuildHost(time, o =>
        {
            o.LauncherFactory = _ => launcher;
            o.Group.MinSize = 2;
            o.Group.MaxSize = 6;
            o.Group.Policies.Add(new TargetTrackingScalingPolicy { Name = "in-flight", Metric = ScalingMetric.AverageInFlightRequests, TargetValue = 5 });
        });
        await host.StartAsync();
        var group = host.Services.GetRequiredKeyedService<ScalingGroup>("catalog");
        var pool = host.Services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");

        // 20 in flight on 2 instances: 10 each, twice the target. Without the pool attached the metric is missing.
        var leases = Enumerable.Range(0, 20).Select(_ => pool.Acquire()).ToList();
        time.Advance(TimeSpan.FromSeconds(181));

        Assert.Equal(4, group.DesiredCapacity);
        Assert.Equal(4, launcher.Running.Count);
        Assert.Equal(4, pool.Endpoints.Count);
        leases.ForEach(l => l.Complete(RequestOutcome.Success));
        await host.StopAsync();
    }

    [Fact]
    public async Task AddScalingGroup_KestrelInstances_HttpClientRequestsReachThemUntilTheHostStops()
    {
        await using var launcher = new BackendLauncher();
        using var host = BuildHost(null, o =>
        {
            o.LauncherFactory = _ => launcher;
            o.Group.MinSize = 2;
            o.Group.MaxSize = 4;
            o.WaitForCapacityTimeout = TimeSpan.FromSeconds(30);
        });

        await host.StartAsync();
        var group = host.Services.GetRequiredKeyedService<ScalingGroup>("catalog");
        var backends = launcher.Running;
        Assert.Equal(2, backends.Count);
        Assert.Equal(2, group.Instances.Count(i => i.State == ScalingInstanceState.InService));

        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("catalog");
        var answers = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await client.GetStringAsync(new Uri("/items", UriKind.Relative)));
        }

        Assert.Equal(backends.Select(b => b.Name).Order(), answers.Distinct().Order());
        Assert.All(backends, b => Assert.Equal(3, b.RequestCount));

        await host.StopAsync();
        Assert.Empty(launcher.Running);
        Assert.Equal(2, launcher.StopCount);
        Assert.All(group.Instances, i => Assert.Equal(ScalingInstanceState.Stopping, i.State));
        Assert.Throws<ObjectDisposedException>(group.Start);
    }

    [Fact]
    public async Task AddScalingGroup_HostStopped_StopsEveryInstance()
    {
        var launcher = new InMemoryInstanceLauncher();
        using var host = BuildHost(new ManualTimeProvider(), o =>
        {
            o.LauncherFactory = _ => launcher;
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
        using var host = BuildHost(new ManualTimeProvider(), o =>
        {
            o.LauncherFactory = _ => launcher;
            o.Group.MinSize = 2;
            o.Group.MaxSize = 5;
        }, services => services.AddScalingGroup("catalog", o => o.Group.MinSize = 3));

        await host.StartAsync();
        var pool = host.Services.GetRequiredService<ServicePoolRegistry>().GetPool("catalog");

        Assert.Single(host.Services.GetServices<IHostedService>().OfType<ScalingGroupHostedService>());
        Assert.Single(pool.Options.EndpointSources);
        Assert.Equal(3, launcher.Running.Count);
        Assert.Equal(3, pool.Endpoints.Count);
        await host.StopAsync();
    }

    [Fact]
    public async Task AddScalingGroup_InvalidRegistration_StartFailsNamingEverySetting()
    {
        using var host = BuildHost(new ManualTimeProvider(), o =>
        {
            o.Group.MinSize = 4;
            o.Group.MaxSize = 2;
            o.WaitForCapacityTimeout = TimeSpan.FromHours(2);
        });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var failures = Failures(error);
        Assert.Contains("Scaling group 'catalog': LauncherFactory is required (it creates the group's IInstanceLauncher).", failures);
        Assert.Contains("Scaling group 'catalog': MinSize (4) must not exceed MaxSize (2).", failures);
        Assert.Contains("Scaling group 'catalog': WaitForCapacityTimeout (02:00:00) must be between 00:00:00 and 01:00:00.", failures);
    }

    [Fact]
    public async Task AddScalingGroup_CapacityNeverInService_StartTimesOutAfterWaitForCapacityTimeout()
    {
        var time = new ManualTimeProvider();
        var launcher = new InMemoryInstanceLauncher();
        launcher.FailNextLaunches(1_000);
        using var host = BuildHost(time, o =>
        {
            o.LauncherFactory = _ => launcher;
            o.Group.MinSize = 2;
            o.Group.MaxSize = 2;
            o.WaitForCapacityTimeout = TimeSpan.FromSeconds(30);
        });

        var start = host.StartAsync();
        for (var i = 0; i < 100 && !start.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        var error = await Assert.ThrowsAsync<TimeoutException>(() => start);
        Assert.Contains("did not reach its desired capacity (2) in service within WaitForCapacityTimeout (00:00:30); 0 in service", error.Message, StringComparison.Ordinal);
        Assert.True(time.GetUtcNow() - new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) >= TimeSpan.FromSeconds(30));
        Assert.Equal(0, launcher.LaunchCount);
    }

    private static IHost BuildHost(TimeProvider? time, Action<ScalingGroupRegistrationOptions> configure, Action<IServiceCollection>? more = null)
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
        builder.Services.AddScalingGroup("catalog", configure);
        more?.Invoke(builder.Services);
        return builder.Build();
    }

    private static List<string> Failures(Exception error) => error switch
    {
        OptionsValidationException o => [.. o.Failures],
        AggregateException a => [.. a.InnerExceptions.SelectMany(Failures).Distinct()],
        _ => [error.Message],
    };

    /// <summary>A launcher whose instances are real Kestrel backends on 127.0.0.1.</summary>
    /// <remarks>Disposable both ways: the container that owns it may be disposed synchronously.</remarks>
    private sealed class BackendLauncher : IInstanceLauncher, IAsyncDisposable, IDisposable
    {
        private readonly ConcurrentDictionary<string, TestBackend> _running = new(StringComparer.Ordinal);
        private int _sequence;
        private int _stopped;

        public int LaunchTemplateVersion => 1;

        public IReadOnlyList<TestBackend> Running => [.. _running.Values.OrderBy(b => b.Name, StringComparer.Ordinal)];

        public int StopCount => Volatile.Read(ref _stopped);

        public async ValueTask<LaunchedInstance> LaunchAsync(string? zone, CancellationToken cancellationToken)
        {
            var id = $"kestrel-{Interlocked.Increment(ref _sequence)}";
            var backend = await TestBackend.StartAsync(id);
            _running[id] = backend;
            return new LaunchedInstance(id, new LoadBalancedEndpoint(backend.Address.ToString(), zone), zone, LaunchTemplateVersion);
        }

        public async ValueTask StopAsync(LaunchedInstance instance, CancellationToken cancellationToken)
        {
            if (_running.TryRemove(instance.Id, out var backend))
            {
                await backend.DisposeAsync();
                Interlocked.Increment(ref _stopped);
            }
        }

        public InstanceStatus GetStatus(LaunchedInstance instance) =>
            _running.ContainsKey(instance.Id) ? InstanceStatus.Running : InstanceStatus.Stopped;

        public async ValueTask DisposeAsync()
        {
            foreach (var id in _running.Keys)
            {
                if (_running.TryRemove(id, out var backend))
                {
                    await backend.DisposeAsync();
                }
            }
        }

        public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
