using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Scaling.Tests;

/// <summary>The shared state of a group without the group: for unit tests of the parts it is made of.</summary>
internal sealed class GroupParts
{
    public GroupParts(Action<ScalingGroupOptions>? configure = null, ILogger? logger = null, IScalingMetricsSource? metrics = null)
    {
        Options = new ScalingGroupOptions();
        configure?.Invoke(Options);
        Runner = new ChangeRunner("unit", Time, logger ?? NullLogger.Instance);
        var activities = new ActivityLog("unit", Options.MaxActivityHistory, Runner, NullLogger.Instance, ScalingMetrics.For(null),
            a => Started.Add(a), a => Ended.Add(a));
        Context = new GroupContext("unit", Options, Launcher, new ScalingGroupDependencies { TimeProvider = Time, Random = new Random(7), MetricsSource = metrics },
            NullLogger.Instance, Runner, activities, CancellationToken.None);
    }

    public FakeTimeProvider Time { get; } = TestClock.Create();

    public InMemoryInstanceLauncher Launcher { get; } = new();

    public ScalingGroupOptions Options { get; }

    public ChangeRunner Runner { get; }

    public GroupContext Context { get; }

    public List<ScalingActivity> Started { get; } = [];

    public List<ScalingActivity> Ended { get; } = [];

    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>Adds an in-service instance launched by the in-memory launcher.</summary>
    public ScalingInstance AddInService(string? zone = null, DateTimeOffset? inServiceAt = null)
    {
        var launched = Launcher.LaunchAsync(zone, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        var instance = new ScalingInstance($"unit-{Context.Instances.Count + 1}", zone, launched.LaunchTemplateVersion, Now, isProtected: false)
        {
            Launched = launched,
            State = ScalingInstanceState.InService,
            InServiceAt = inServiceAt ?? Now,
        };
        Context.Instances.Add(instance);
        return instance;
    }

    /// <summary>Runs <paramref name="change"/> under the group's lock, then the work it deferred.</summary>
    public void Run(Action<DateTimeOffset> change) => Assert.True(Runner.Run(change, reconcile: false));
}
