namespace Loadstone.Scaling;

/// <summary>
/// A dynamic scaling policy of a <see cref="ScalingGroup"/>: <see cref="SimpleScalingPolicy"/>,
/// <see cref="StepScalingPolicy"/> or <see cref="TargetTrackingScalingPolicy"/>. When several act in the same period,
/// the one giving the largest capacity wins.
/// </summary>
public abstract class ScalingPolicy
{
    private protected ScalingPolicy()
    {
    }

    /// <summary>The policy's name, unique within the group; used by <see cref="ScalingGroup.ExecutePolicy"/> and in causes.</summary>
    public required string Name { get; init; }

    internal abstract void Validate(string where, List<string> problems);

    private protected static void ValidateMagnitude(string where, AdjustmentType type, int? magnitude, List<string> problems)
    {
        if (magnitude is { } m)
        {
            if (type != AdjustmentType.PercentChangeInCapacity)
            {
                problems.Add($"{where}.MinAdjustmentMagnitude applies to PercentChangeInCapacity only (AdjustmentType is {type}).");
            }
            else if (m < 1)
            {
                problems.Add($"{where}.MinAdjustmentMagnitude ({m}) must be at least 1.");
            }
        }
    }
}
