namespace Loadstone.Scaling;

/// <summary>What a <see cref="ScalingActivity"/> does.</summary>
public enum ScalingActivityKind
{
    /// <summary>Launching an instance.</summary>
    Launch,

    /// <summary>Terminating an instance.</summary>
    Terminate,

    /// <summary>Changing min, max or desired capacity (by a policy, a scheduled action or a call).</summary>
    CapacityChange,
}
