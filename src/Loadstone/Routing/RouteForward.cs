namespace Loadstone;

/// <summary>
/// Where a rule sends requests: to one pool (<see cref="Pool"/>), or split by weight over up to five
/// (<see cref="Pools"/>), like an ALB forward action with weighted target groups (canary, blue/green).
/// </summary>
public sealed class RouteForward
{
    /// <summary>The most pools of a weighted forward: 5.</summary>
    public const int MaxPools = 5;

    /// <summary>The shortest <see cref="Stickiness"/>: 1 second.</summary>
    public static readonly TimeSpan MinStickiness = TimeSpan.FromSeconds(1);

    /// <summary>The longest <see cref="Stickiness"/>: 7 days.</summary>
    public static readonly TimeSpan MaxStickiness = TimeSpan.FromDays(7);

    /// <summary>The service whose pool takes all matching requests; set this or <see cref="Pools"/>.</summary>
    public string? Pool { get; set; }

    /// <summary>A weighted split over 1 to 5 pools; set this or <see cref="Pool"/>.</summary>
    public IList<WeightedPool> Pools { get; } = [];

    /// <summary>
    /// Group stickiness for a weighted split: a request's sticky key (from the service's sticky session key source)
    /// stays on the pool it first got for this long after its last request. The default, <see langword="null"/>, is
    /// off; the range is 1 second to 7 days. Requests without a key are split afresh each time.
    /// </summary>
    public TimeSpan? Stickiness { get; set; }
}
