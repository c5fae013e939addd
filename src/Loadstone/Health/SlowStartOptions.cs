namespace Loadstone;

/// <summary>
/// Slow start: a newly healthy endpoint's share of traffic ramps up over a window instead of jumping to full, as an ALB
/// target group's slow start. Its weight is multiplied by max(<see cref="MinimumWeightPercent"/>/100, (t/window)^(1/<see cref="Aggression"/>)).
/// An endpoint enters slow start when it becomes healthy only if another healthy endpoint is not in slow start (so
/// endpoints that start together do not), and leaves it when the window ends or it becomes unhealthy.
/// </summary>
/// <remarks>
/// Strategies that use weights or load (Random, WeightedRoundRobin, LeastRequests, PowerOfTwoChoices, PeakEwma) honour the
/// ramp at any concurrency, one request at a time included. RoundRobin and FirstAvailable ignore weights and so ignore the ramp.
/// </remarks>
public sealed class SlowStartOptions
{
    /// <summary>The ramp's length. The default is <see cref="TimeSpan.Zero"/>: off, as an ALB; otherwise 30 s to 900 s.</summary>
    public TimeSpan Window { get; set; }

    /// <summary>The share an endpoint starts with, 1 to 100 percent. The default is 10, as Envoy.</summary>
    public int MinimumWeightPercent { get; set; } = 10;

    /// <summary>The ramp's curve: 1 (the default) is linear; larger values ramp faster at first. The range is 0.1 to 10.</summary>
    public double Aggression { get; set; } = 1.0;
}
