namespace Loadstone.Scaling;

/// <summary>The outcome of a <see cref="ScalingActivity"/>, like an Auto Scaling activity's status code.</summary>
public enum ScalingActivityStatus
{
    /// <summary>Still running (launching, waiting for hooks, draining, stopping).</summary>
    InProgress,

    /// <summary>Done as intended.</summary>
    Successful,

    /// <summary>Failed; <see cref="ScalingActivity.StatusMessage"/> says why.</summary>
    Failed,

    /// <summary>Given up: a launch lifecycle hook ended with ABANDON, or the group was disposed.</summary>
    Cancelled,
}
