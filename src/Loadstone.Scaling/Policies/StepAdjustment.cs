namespace Loadstone.Scaling;

/// <summary>
/// One step of a <see cref="StepScalingPolicy"/>: an interval of the metric relative to the alarm threshold, and
/// the adjustment for it. A <see langword="null"/> bound is infinite.
/// </summary>
/// <param name="MetricIntervalLowerBound">The lower bound of (metric − threshold); <see langword="null"/> for −∞.</param>
/// <param name="MetricIntervalUpperBound">The upper bound of (metric − threshold); <see langword="null"/> for +∞.</param>
/// <param name="ScalingAdjustment">The adjustment for this step, read as the policy's <see cref="AdjustmentType"/>.</param>
public sealed record StepAdjustment(double? MetricIntervalLowerBound, double? MetricIntervalUpperBound, int ScalingAdjustment);
