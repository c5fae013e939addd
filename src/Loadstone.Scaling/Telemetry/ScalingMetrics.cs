using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Loadstone.Scaling;

/// <summary>
/// The scaling groups' instruments, on the library's meter (<see cref="LoadstoneMetrics.MeterName"/>). Tags are
/// bounded: group name, activity kind and status, capacity kind, instance state.
/// </summary>
internal static class ScalingMetrics
{
    internal const string GroupTag = "loadstone.scaling.group";
    internal const string KindTag = "loadstone.scaling.activity.kind";
    internal const string StatusTag = "loadstone.scaling.activity.status";
    internal const string CapacityTag = "loadstone.scaling.capacity.kind";
    internal const string StateTag = "loadstone.scaling.instance.state";

    private static readonly Meter s_meter = new(LoadstoneMetrics.MeterName, typeof(ScalingMetrics).Assembly.GetName().Version?.ToString());
    private static readonly ConcurrentDictionary<ScalingGroup, byte> s_groups = new();

    internal static readonly Counter<long> Activities = s_meter.CreateCounter<long>(
        "loadstone.scaling.activities", "{activity}", "Scaling activities ended (launches, terminations, capacity changes), by kind and status.");

    static ScalingMetrics()
    {
        s_meter.CreateObservableGauge("loadstone.scaling.capacity", ObserveCapacity, "{instance}",
            "Each group's min, max and desired capacity (tag loadstone.scaling.capacity.kind).");
        s_meter.CreateObservableGauge("loadstone.scaling.instances", ObserveInstances, "{instance}",
            "Each group's instances by lifecycle state.");
    }

    internal static void Register(ScalingGroup group) => s_groups.TryAdd(group, 0);

    internal static void Unregister(ScalingGroup group) => s_groups.TryRemove(group, out _);

    internal static void RecordActivity(string group, ScalingActivity activity)
    {
        if (Activities.Enabled)
        {
            Activities.Add(1, new TagList
            {
                { GroupTag, group },
                { KindTag, activity.Kind.ToString() },
                { StatusTag, activity.Status.ToString() },
            });
        }
    }

    private static IEnumerable<Measurement<int>> ObserveCapacity()
    {
        foreach (var group in s_groups.Keys)
        {
            yield return new(group.MinSize, new KeyValuePair<string, object?>(GroupTag, group.Name), new(CapacityTag, "min"));
            yield return new(group.MaxSize, new KeyValuePair<string, object?>(GroupTag, group.Name), new(CapacityTag, "max"));
            yield return new(group.DesiredCapacity, new KeyValuePair<string, object?>(GroupTag, group.Name), new(CapacityTag, "desired"));
        }
    }

    private static IEnumerable<Measurement<int>> ObserveInstances()
    {
        foreach (var group in s_groups.Keys)
        {
            foreach (var state in group.Instances.GroupBy(i => i.State))
            {
                yield return new(state.Count(), new KeyValuePair<string, object?>(GroupTag, group.Name), new(StateTag, state.Key.ToString()));
            }
        }
    }
}
