using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Scaling.Tests;

/// <summary>A group on the test clock with an in-memory launcher, and helpers to read it.</summary>
internal sealed class ScalingTestKit : IDisposable
{
    public ScalingTestKit(Action<ScalingGroupOptions> configure, bool start = true, Func<ScalingInstance, bool?>? loadBalancerHealth = null)
    {
        Options = new ScalingGroupOptions();
        configure(Options);
        Group = new ScalingGroup("web", Options, Launcher, new ScalingGroupDependencies
        {
            TimeProvider = Time,
            Random = new Random(7),
            LoadBalancerHealth = loadBalancerHealth,
        });
        Group.ActivityStarted += (_, e) => Started.Add(e.Activity);
        Group.ActivityEnded += (_, e) => Ended.Add(e.Activity);
        if (start)
        {
            Group.Start();
        }
    }

    public FakeTimeProvider Time { get; } = TestClock.Create();

    public InMemoryInstanceLauncher Launcher { get; } = new();

    public ScalingGroupOptions Options { get; }

    public ScalingGroup Group { get; }

    public List<ScalingActivity> Started { get; } = [];

    public List<ScalingActivity> Ended { get; } = [];

    public IReadOnlyList<ScalingInstance> InService =>
        Group.Instances.Where(i => i.State == ScalingInstanceState.InService).ToList();

    public Dictionary<string, int> PerZone() =>
        InService.GroupBy(i => i.Zone ?? "").ToDictionary(g => g.Key, g => g.Count());

    public ScalingInstance Instance(string id) => Group.Instances.Single(i => i.Id == id);

    /// <summary>Moves time in steps of the reconcile interval, at most 1 s (the pool's housekeeping period).</summary>
    public void Advance(TimeSpan by) =>
        Time.AdvanceInSteps(by, Options.ReconcileInterval < TestClock.DefaultStep ? Options.ReconcileInterval : TestClock.DefaultStep);

    public void Seconds(double seconds) => Advance(TimeSpan.FromSeconds(seconds));

    public async Task<IReadOnlyList<LoadBalancedEndpoint>> PublishedAsync() =>
        await Group.EndpointSource.GetEndpointsAsync(CancellationToken.None);

    public void Dispose() => Group.Dispose();
}
