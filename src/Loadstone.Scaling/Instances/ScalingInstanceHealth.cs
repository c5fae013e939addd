namespace Loadstone.Scaling;

/// <summary>An instance's health in the group's eyes.</summary>
public enum ScalingInstanceHealth
{
    /// <summary>Healthy, or not checked yet.</summary>
    Healthy,

    /// <summary>Unhealthy: it will be terminated and replaced.</summary>
    Unhealthy,
}
