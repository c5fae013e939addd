namespace Loadstone.Scaling;

/// <summary>How an alarm treats a period without data, like CloudWatch's TreatMissingData.</summary>
public enum MissingDataTreatment
{
    /// <summary>
    /// The default: missing periods are neither good nor bad; the alarm decides on the datapoints it has and goes to
    /// <see cref="ScalingAlarmState.InsufficientData"/> when every period of the window is missing.
    /// </summary>
    Missing,

    /// <summary>Missing periods count as good (within the threshold).</summary>
    NotBreaching,

    /// <summary>Missing periods count as bad (breaching).</summary>
    Breaching,

    /// <summary>Missing periods are skipped: the window reaches back to the last datapoints that exist, and with none the state is kept.</summary>
    Ignore,
}
