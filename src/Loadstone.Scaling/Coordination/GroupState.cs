using System.Text.Json;

namespace Loadstone.Scaling;

/// <summary>
/// Turns a group's state into the documents a coordinator stores (<see cref="Capture"/>) and back
/// (<see cref="Restore"/>): capacity, instances with their lifecycle hook waits, activities, cooldown, refresh,
/// scheduled actions' next runs, alarms, counters, suspended processes. Called under the group's lock.
/// </summary>
internal sealed class GroupState(
    GroupContext context,
    InstanceLifecycle lifecycle,
    Cooldown cooldown,
    InstanceRefresher refresh,
    ScheduledActionRunner scheduled,
    DynamicScaling scaling)
{
    // Ended activities never change again: their documents are serialized once.
    private readonly Dictionary<long, byte[]> _ended = [];

    /// <summary>The state as documents by key: <c>group</c> and one per kept activity.</summary>
    public Dictionary<string, byte[]> Capture()
    {
        var document = new GroupDocument
        {
            Suspended = (int)context.Suspended,
            InstanceSequence = lifecycle.Sequence,
            ActivitySequence = context.Activities.Sequence,
            ReplacementsOwed = context.ReplacementsOwed,
            LaunchBlockedUntil = lifecycle.LaunchBlockedUntil,
        };
        context.Capacity.Save(document);
        cooldown.Save(document);
        refresh.Save(document);
        scheduled.Save(document);
        scaling.Save(document);
        foreach (var instance in context.Instances)
        {
            document.Instances.Add(Save(instance));
        }

        var documents = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [GroupDocument.Key] = JsonSerializer.SerializeToUtf8Bytes(document, GroupStateJson.Default.GroupDocument),
        };
        var kept = new HashSet<long>();
        foreach (var activity in context.Activities.Snapshot())
        {
            kept.Add(activity.Id);
            if (!_ended.TryGetValue(activity.Id, out var bytes))
            {
                bytes = JsonSerializer.SerializeToUtf8Bytes(activity.ToDocument(), GroupStateJson.Default.ActivityDocument);
                if (activity.Status != ScalingActivityStatus.InProgress)
                {
                    _ended[activity.Id] = bytes;
                }
            }

            documents[ActivityDocument.KeyOf(activity.Id)] = bytes;
        }

        _ended.Keys.Where(id => !kept.Contains(id)).ToList().ForEach(id => _ended.Remove(id));
        return documents;
    }

    /// <summary>
    /// Replaces the group's state with the stored one; an empty store leaves the state as the options created it. A
    /// leader takes the recorded instances over through its launcher (<see cref="IDurableInstanceLauncher.Reattach"/>).
    /// </summary>
    /// <returns>Whether the store held a state.</returns>
    public bool Restore(IReadOnlyDictionary<string, ReadOnlyMemory<byte>> documents, bool asLeader, DateTimeOffset now)
    {
        if (!documents.TryGetValue(GroupDocument.Key, out var bytes))
        {
            return false;
        }

        var document = JsonSerializer.Deserialize(bytes.Span, GroupStateJson.Default.GroupDocument)
            ?? throw new InvalidDataException($"Scaling group '{context.Name}': the stored state is empty.");
        if (document.Schema != GroupDocument.CurrentSchema)
        {
            throw new InvalidDataException($"Scaling group '{context.Name}': the stored state has schema {document.Schema}; this version reads {GroupDocument.CurrentSchema}.");
        }

        var activities = documents
            .Where(d => d.Key.StartsWith(ActivityDocument.KeyPrefix, StringComparison.Ordinal))
            .Select(d => JsonSerializer.Deserialize(d.Value.Span, GroupStateJson.Default.ActivityDocument))
            .OfType<ActivityDocument>()
            .Select(ScalingActivity.FromDocument)
            .ToDictionary(a => a.Id);
        context.Activities.Restore(document.ActivitySequence, activities.Values);
        _ended.Clear();

        context.Capacity.Restore(document);
        context.Suspended = (ScalingProcesses)document.Suspended;
        context.ReplacementsOwed = document.ReplacementsOwed;
        lifecycle.Restore(document.InstanceSequence, document.LaunchBlockedUntil);
        cooldown.Restore(document);
        refresh.Restore(document);
        scheduled.Restore(document, now);
        scaling.Restore(document, now);

        context.Instances.Clear();
        foreach (var saved in document.Instances)
        {
            context.Instances.Add(RestoreInstance(saved, activities, asLeader));
        }

        return true;
    }

    private static InstanceDocument Save(ScalingInstance instance) => new()
    {
        Id = instance.Id,
        Zone = instance.Zone,
        LaunchTemplateVersion = instance.LaunchTemplateVersion,
        LaunchedAt = instance.LaunchedAt,
        InServiceAt = instance.InServiceAt,
        State = instance.State,
        Health = instance.Health,
        HealthReason = instance.HealthReason,
        Protected = instance.IsProtectedFromScaleIn,
        Replacement = instance.IsReplacement,
        Rebalance = instance.IsRebalanceLaunch,
        ActivityId = instance.Activity?.Id,
        Launched = instance.Launched is { } launched ? LaunchedDocument.From(launched) : null,
        Hooks = instance.Hooks?.Values.Select(w => new HookDocument { Name = w.Hook.Name, Deadline = w.Deadline, Result = w.Result }).ToList(),
    };

    private ScalingInstance RestoreInstance(InstanceDocument saved, Dictionary<long, ScalingActivity> activities, bool asLeader)
    {
        var instance = new ScalingInstance(saved.Id, saved.Zone, saved.LaunchTemplateVersion, saved.LaunchedAt, saved.Protected)
        {
            InServiceAt = saved.InServiceAt,
            State = saved.State,
            Health = saved.Health,
            HealthReason = saved.HealthReason,
            IsReplacement = saved.Replacement,
            IsRebalanceLaunch = saved.Rebalance,
        };
        if (saved.ActivityId is { } activityId)
        {
            // An activity trimmed from the history is still the instance's; it lives on outside the kept history.
            instance.Activity = activities.GetValueOrDefault(activityId)
                ?? new ScalingActivity(activityId, ScalingActivityKind.Launch, $"Instance {saved.Id}", "", saved.LaunchedAt, saved.Id);
        }

        if (saved.Launched is { } launched)
        {
            var recorded = launched.ToInstance();
            instance.Launched = asLeader && context.Launcher is IDurableInstanceLauncher durable ? durable.Reattach(recorded) : recorded;
        }

        if (saved.Hooks is { } hooks)
        {
            var byName = context.Options.LifecycleHooks.ToDictionary(h => h.Name, StringComparer.Ordinal);
            instance.Hooks = hooks
                .Where(h => byName.ContainsKey(h.Name))
                .ToDictionary(h => h.Name, h => new HookWait(byName[h.Name], h.Deadline) { Result = h.Result }, StringComparer.Ordinal);
        }

        return instance;
    }
}
