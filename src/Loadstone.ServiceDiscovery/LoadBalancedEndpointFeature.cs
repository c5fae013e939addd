namespace Loadstone.ServiceDiscovery;

/// <summary>
/// What a Microsoft.Extensions.ServiceDiscovery endpoint provider knows about an endpoint beyond its address: its zone,
/// weight and labels. A provider sets it on each <c>ServiceEndpoint.Features</c>; the bridge copies it into the
/// <see cref="LoadBalancedEndpoint"/>. Endpoints without it get no zone, weight 1 and no metadata.
/// </summary>
public sealed class LoadBalancedEndpointFeature
{
    /// <summary>The availability zone the endpoint runs in, or <see langword="null"/> (the default) when unknown.</summary>
    public string? Zone { get; init; }

    /// <summary>The relative share of traffic, 0 to 10,000. The default is 1.</summary>
    public int Weight { get; init; } = LoadBalancedEndpoint.DefaultWeight;

    /// <summary>Free-form labels (version, rack, ...). Empty by default.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}
