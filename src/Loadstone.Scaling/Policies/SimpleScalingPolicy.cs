namespace Loadstone.Scaling;

/// <summary>
/// Changes the desired capacity by one fixed adjustment, then waits for the activity to finish and the cooldown to
/// pass before acting again; like an Auto Scaling simple scaling policy.
/// </summary>
public sealed class SimpleScalingPolicy : ScalingPolicy
{
    /// <summary>How <see cref="ScalingAdjustment"/> is read. The default is <see cref="AdjustmentType.ChangeInCapacity"/>.</summary>
    public AdjustmentType AdjustmentType { get; init; } = AdjustmentType.ChangeInCapacity;

    /// <summary>The adjustment: instances, a capacity, or a percentage, as <see cref="AdjustmentType"/> says.</summary>
    public required int ScalingAdjustment { get; init; }

    /// <summary>
    /// The least number of instances a <see cref="AdjustmentType.PercentChangeInCapacity"/> adjustment changes;
    /// <see langword="null"/> (the default) for no minimum; at least 1.
    /// </summary>
    public int? MinAdjustmentMagnitude { get; init; }

    /// <summary>
    /// The cooldown after this policy's activity completes; <see langword="null"/> (the default) uses the group's
    /// <see cref="ScalingGroupOptions.DefaultCooldown"/>. The range is 0 to 1 day.
    /// </summary>
    public TimeSpan? Cooldown { get; init; }

    /// <summary>The alarm that runs the policy; <see langword="null"/> to run it only through <see cref="ScalingGroup.ExecutePolicy"/>.</summary>
    public ScalingAlarm? Alarm { get; init; }

    internal override void Validate(string where, List<string> problems)
    {
        ValidateMagnitude(where, AdjustmentType, MinAdjustmentMagnitude, problems);
        if (AdjustmentType == AdjustmentType.ExactCapacity && ScalingAdjustment < 0)
        {
            problems.Add($"{where}.ScalingAdjustment ({ScalingAdjustment}) must not be negative for ExactCapacity.");
        }

        if (Cooldown is { } c && (c < TimeSpan.Zero || c > TimeSpan.FromDays(1)))
        {
            problems.Add($"{where}.Cooldown ({c}) must be between 0 and 1 day.");
        }

        Alarm?.Validate($"{where}.Alarm", problems);
    }
}
