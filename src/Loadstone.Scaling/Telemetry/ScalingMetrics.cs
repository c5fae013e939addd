using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Loadstone.Scaling;

/// <summary>
/// The scaling groups' instruments, on a meter named <see cref="LoadstoneMetrics.MeterName"/>: one set per
/// <see cref="IMeterFactory"/> (the container's, so two containers do not see each other's groups), or one per process
/// for groups created without a factory. Tags are bounded: group name, activity kind and status, capacity kind,
/// instance state.
/// </summary>
internal sealed class ScalingMetrics
{
    internal const string GroupTag = "loadstone.scaling.group";
    internal const string KindTag = "loadstone.scaling.activity.kind";
    internal const string StatusTag = "loadstone.scaling.activity.status";
    internal const string CapacityTag = "loadstone.scaling.capacity.kind";
    internal const string StateTag = "loadstone.scaling.instance.state";

    private static readonly string? s_version = typeof(ScalingMetrics).Assembly.GetName().Version?.ToString();
    private static readonly Lazy<ScalingMetrics> s_process = new(() => new ScalingMetrics(new Meter(LoadstoneMetrics.MeterName, s_version)));
    private static readonly ConditionalWeakTable<IMeterFactory, ScalingMetrics> s_byFactory = [];

    private readonly ConcurrentDictionary<ScalingGroup, byte> _groups = new();
    private readonly Counter<long> _activities;

    private ScalingMetrics(Meter meter)
    {
        _activities = meter.CreateCounter<long>(
            "loadstone.scaling.activities", "{activity}", "Scaling activities ended (launches, terminations, capacity changes), by kind and status.");
        meter.CreateObservableGauge("loadstone.scaling.capacity", ObserveCapacity, "{instance}",
            "Each group's min, max and desired capacity (tag loadstone.scaling.capacity.kind).");
        meter.CreateObservableGauge("loadstone.scaling.instances", ObserveInstances, "{instance}",
            "Each group's instances by lifecycle state.");
    }

    /// <summary>The instruments of groups created from <paramref name="meterFactory"/>; the process's own when it is <see langword="null"/>.</summary>
    public static ScalingMetrics For(IMeterFactory? meterFactory) =>
        meterFactory is null
            ? s_process.Value
            : s_byFactory.GetValue(meterFactory, static f => new ScalingMetrics(f.Create(new MeterOptions(LoadstoneMetrics.MeterName) { Version = s_version })));

    public void Register(ScalingGroup group) => _groups.TryAdd(group, 0);

    public void Unregister(ScalingGroup group) => _groups.TryRemove(group, out _);

    public void RecordActivity(string group, ScalingActivity activity)
    {
        if (_activities.Enabled)
        {
            _activities.Add(1, new TagList
            {
                { GroupTag, group },
                { KindTag, activity.Kind.ToString() },
                { StatusTag, activity.Status.ToString() },
            });
        }
    }

    private IEnumerable<Measurement<int>> ObserveCapacity()
    {
        foreach (var group in _groups.Keys)
        {
            yield return new(group.MinSize, new KeyValuePair<string, object?>(GroupTag, group.Name), new(CapacityTag, "min"));
            yield return new(group.MaxSize, new KeyValuePair<string, object?>(GroupTag, group.Name), new(CapacityTag, "max"));
            yield return new(group.DesiredCapacity, new KeyValuePair<string, object?>(GroupTag, group.Name), new(CapacityTag, "desired"));
        }
    }

    private IEnumerable<Measurement<int>> ObserveInstances()
    {
        foreach (var group in _groups.Keys)
        {
            foreach (var state in group.Instances.GroupBy(i => i.State))
            {
                yield return new(state.Count(), new KeyValuePair<string, object?>(GroupTag, group.Name), new(StateTag, state.Key.ToString()));
            }
        }
    }
}
