using System.Text.Json.Serialization;

namespace Loadstone.Scaling;

/// <summary>
/// The durable state of a group, as JSON documents a coordinator stores: <c>group</c> (capacity, instances, cooldown,
/// refresh, schedules, alarms, counters) and one <c>activities/{id}</c> per activity. What a new leader resumes from,
/// and what the other copies show. The current period's partial samples are not kept: a period that spans a failover
/// is averaged over the samples the new leader takes.
/// </summary>
internal sealed class GroupDocument
{
    public const string Key = "group";

    public const int CurrentSchema = 1;

    public int Schema { get; set; } = CurrentSchema;

    public int MinSize { get; set; }

    public int MaxSize { get; set; }

    public int DesiredCapacity { get; set; }

    public string DesiredCause { get; set; } = "";

    public int Suspended { get; set; }

    public long InstanceSequence { get; set; }

    public long ActivitySequence { get; set; }

    public int ReplacementsOwed { get; set; }

    public DateTimeOffset LaunchBlockedUntil { get; set; }

    public DateTimeOffset CooldownUntil { get; set; }

    public TimeSpan? CooldownPending { get; set; }

    public RefreshDocument? Refresh { get; set; }

    public Dictionary<string, DateTimeOffset?> ScheduledActions { get; set; } = [];

    public Dictionary<string, PolicyDocument> Policies { get; set; } = [];

    public List<InstanceDocument> Instances { get; set; } = [];
}

internal sealed class InstanceDocument
{
    public string Id { get; set; } = "";

    public string? Zone { get; set; }

    public int LaunchTemplateVersion { get; set; }

    public DateTimeOffset LaunchedAt { get; set; }

    public DateTimeOffset? InServiceAt { get; set; }

    public ScalingInstanceState State { get; set; }

    public ScalingInstanceHealth Health { get; set; }

    public string? HealthReason { get; set; }

    public bool Protected { get; set; }

    public bool Replacement { get; set; }

    public bool Rebalance { get; set; }

    public long? ActivityId { get; set; }

    public LaunchedDocument? Launched { get; set; }

    public List<HookDocument>? Hooks { get; set; }
}

internal sealed class LaunchedDocument
{
    public string Id { get; set; } = "";

    public string Address { get; set; } = "";

    public string? Zone { get; set; }

    public int Weight { get; set; } = LoadBalancedEndpoint.DefaultWeight;

    public string? Name { get; set; }

    public string? HostName { get; set; }

    public Dictionary<string, string>? Metadata { get; set; }

    public int LaunchTemplateVersion { get; set; }

    public static LaunchedDocument From(LaunchedInstance launched) => new()
    {
        Id = launched.Id,
        Address = launched.Endpoint.Address.ToString(),
        Zone = launched.Zone,
        Weight = launched.Endpoint.Weight,
        Name = launched.Endpoint.Name,
        HostName = launched.Endpoint.HostName,
        Metadata = launched.Endpoint.Metadata.Count == 0 ? null : new Dictionary<string, string>(launched.Endpoint.Metadata, StringComparer.Ordinal),
        LaunchTemplateVersion = launched.LaunchTemplateVersion,
    };

    public LaunchedInstance ToInstance()
    {
        var endpoint = new LoadBalancedEndpoint(Address, Zone, Weight, Metadata, Name) { HostName = HostName };
        return new LaunchedInstance(Id, endpoint, Zone, LaunchTemplateVersion);
    }
}

internal sealed class HookDocument
{
    public string Name { get; set; } = "";

    public DateTimeOffset Deadline { get; set; }

    public LifecycleActionResult? Result { get; set; }
}

internal sealed class ActivityDocument
{
    public const string KeyPrefix = "activities/";

    public long Id { get; set; }

    public ScalingActivityKind Kind { get; set; }

    public string Description { get; set; } = "";

    public string Cause { get; set; } = "";

    public DateTimeOffset StartTime { get; set; }

    public DateTimeOffset? EndTime { get; set; }

    public ScalingActivityStatus Status { get; set; }

    public string? StatusMessage { get; set; }

    public string? InstanceId { get; set; }

    /// <summary>The activity's key: its id with leading zeros, so keys sort as activities do.</summary>
    public static string KeyOf(long id) => KeyPrefix + id.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
}

internal sealed class RefreshDocument
{
    public InstanceRefreshState State { get; set; }

    public int LaunchTemplateVersion { get; set; }

    public int MinHealthyPercentage { get; set; }

    public DateTimeOffset StartTime { get; set; }

    public DateTimeOffset? EndTime { get; set; }

    public int InstancesToUpdate { get; set; }
}

internal sealed class PolicyDocument
{
    public DateTimeOffset PeriodEnd { get; set; }

    public AlarmDocument? Alarm { get; set; }

    public AlarmDocument? High { get; set; }

    public AlarmDocument? Low { get; set; }
}

internal sealed class AlarmDocument
{
    public List<double?> Window { get; set; } = [];

    public ScalingAlarmState State { get; set; }

    public double? LastValue { get; set; }
}

[JsonSourceGenerationOptions(UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GroupDocument))]
[JsonSerializable(typeof(ActivityDocument))]
internal sealed partial class GroupStateJson : JsonSerializerContext;
