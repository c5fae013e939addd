namespace Loadstone.Scaling;

/// <summary>The state of an alarm.</summary>
public enum ScalingAlarmState
{
    /// <summary>Not enough data to decide (the start, or every period missing).</summary>
    InsufficientData,

    /// <summary>Within the threshold.</summary>
    Ok,

    /// <summary>Breaching: the policy acts once per period while in this state.</summary>
    Alarm,
}
