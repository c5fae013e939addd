namespace Loadstone.Scaling;

/// <summary>How a simple or step scaling adjustment is read, like the Auto Scaling AdjustmentType.</summary>
public enum AdjustmentType
{
    /// <summary>Add (or remove, if negative) this many instances.</summary>
    ChangeInCapacity,

    /// <summary>Set the desired capacity to this value.</summary>
    ExactCapacity,

    /// <summary>
    /// Add (or remove) this percentage of the current capacity. A result above 1 is rounded down, between 0 and 1
    /// becomes 1, between −1 and 0 becomes −1, below −1 is rounded toward zero.
    /// </summary>
    PercentChangeInCapacity,
}
