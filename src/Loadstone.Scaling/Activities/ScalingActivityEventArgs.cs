namespace Loadstone.Scaling;

/// <summary>The argument of <see cref="ScalingGroup.ActivityStarted"/> and <see cref="ScalingGroup.ActivityEnded"/>.</summary>
/// <param name="activity">The activity.</param>
public sealed class ScalingActivityEventArgs(ScalingActivity activity) : EventArgs
{
    /// <summary>The activity.</summary>
    public ScalingActivity Activity { get; } = activity;
}
