namespace Loadstone.Scaling;

/// <summary>How an alarm compares a datapoint with its threshold.</summary>
public enum AlarmComparison
{
    /// <summary>Breaching when the value is ≥ the threshold.</summary>
    GreaterThanOrEqualToThreshold,

    /// <summary>Breaching when the value is &gt; the threshold.</summary>
    GreaterThanThreshold,

    /// <summary>Breaching when the value is &lt; the threshold.</summary>
    LessThanThreshold,

    /// <summary>Breaching when the value is ≤ the threshold.</summary>
    LessThanOrEqualToThreshold,
}
