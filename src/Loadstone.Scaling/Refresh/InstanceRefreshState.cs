namespace Loadstone.Scaling;

/// <summary>Where an instance refresh stands.</summary>
public enum InstanceRefreshState
{
    /// <summary>Replacing instances.</summary>
    InProgress,

    /// <summary>Every instance runs the launch template version the refresh started with.</summary>
    Successful,

    /// <summary>Cancelled by <see cref="ScalingGroup.CancelInstanceRefresh"/> (replaced instances stay replaced).</summary>
    Cancelled,
}
