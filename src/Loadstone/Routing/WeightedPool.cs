namespace Loadstone;

/// <summary>One pool of a weighted forward.</summary>
public sealed class WeightedPool
{
    /// <summary>The highest <see cref="Weight"/>: 999.</summary>
    public const int MaxWeight = 999;

    /// <summary>The service whose pool this is. Required.</summary>
    public string Pool { get; set; } = string.Empty;

    /// <summary>
    /// The relative share, 0 to 999 (0: no new requests). The default is 1. Pool weights of a forward must not all be 0.
    /// </summary>
    public int Weight { get; set; } = 1;
}
