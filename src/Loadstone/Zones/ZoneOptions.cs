namespace Loadstone;

/// <summary>
/// Zone preference: which availability zone the caller is in and how traffic is shared between zones. Configure in
/// code or under <c>LoadBalancing:Services:{service}:Zones</c>. Only healthy endpoints count; a local zone without a
/// healthy endpoint spills over at once, and when no endpoint at all is healthy every endpoint is treated as healthy
/// (fail-open) before the zone rules apply. A sticky binding takes precedence over zone preference.
/// </summary>
public sealed class ZoneOptions
{
    /// <summary>The default <see cref="LocalShare"/>: 1.0 (full zonal affinity).</summary>
    public const double DefaultLocalShare = 1.0;

    /// <summary>The default <see cref="MinimumPoolSize"/>: 6, as Envoy's <c>min_cluster_size</c>.</summary>
    public const int DefaultMinimumPoolSize = 6;

    /// <summary>The highest <see cref="MinimumPoolSize"/>: 10,000.</summary>
    public const int MaxMinimumPoolSize = 10_000;

    /// <summary>
    /// The caller's own zone, e.g. <c>eu-west-1a</c>, compared with endpoint zones case-insensitively. The default,
    /// <see langword="null"/>, means unknown; <see cref="ZoneRoutingMode.Affinity"/> and
    /// <see cref="ZoneRoutingMode.ZoneAware"/> need it (validation fails without it).
    /// </summary>
    public string? LocalZone { get; set; }

    /// <summary>How traffic is shared between zones. The default is <see cref="ZoneRoutingMode.CrossZone"/>.</summary>
    public ZoneRoutingMode Mode { get; set; }

    /// <summary>
    /// The share of traffic kept in the local zone by <see cref="ZoneRoutingMode.Affinity"/>: 1.0 for full affinity
    /// (an NLB's <c>availability_zone_affinity</c>), 0.85 for partial affinity. The default is 1.0; the range is 0 to 1.
    /// </summary>
    public double LocalShare { get; set; } = DefaultLocalShare;

    /// <summary>
    /// How the callers of the service are spread over zones, for <see cref="ZoneRoutingMode.ZoneAware"/>: zone →
    /// relative amount (caller instances, or shares summing to 1); a zone not listed has no callers. Empty (the
    /// default) assumes callers are spread evenly over the zones the endpoints are in.
    /// </summary>
    public IDictionary<string, double> CallerShares { get; } = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// For <see cref="ZoneRoutingMode.ZoneAware"/>: with fewer healthy endpoints than this, zones are ignored. The
    /// default is 6 (Envoy's); the range is 0 to 10,000.
    /// </summary>
    public int MinimumPoolSize { get; set; } = DefaultMinimumPoolSize;

    /// <summary>Every problem with these options, each naming the setting and its configuration key.</summary>
    /// <param name="service">The service, for the messages.</param>
    internal List<string> Validate(string service)
    {
        var problems = new List<string>();
        var key = $"LoadBalancing:Services:{service}:Zones";
        if (!Enum.IsDefined(Mode))
        {
            problems.Add($"Service '{service}': Zones.Mode ({key}:Mode) is {(int)Mode}; use one of {string.Join(", ", Enum.GetNames<ZoneRoutingMode>())}.");
        }

        ValidateLocalZone(problems, service, key);
        if (!(LocalShare >= 0 && LocalShare <= 1))
        {
            problems.Add($"Service '{service}': Zones.LocalShare ({key}:LocalShare) is {LocalShare}; it must be between 0 and 1 (1 for full affinity, 0.85 for partial).");
        }

        foreach (var (zone, share) in CallerShares)
        {
            if (!(share >= 0) || double.IsInfinity(share))
            {
                problems.Add($"Service '{service}': Zones.CallerShares ({key}:CallerShares:{zone}) is {share}; it must be a finite number of at least 0.");
            }
        }

        if (MinimumPoolSize < 0 || MinimumPoolSize > MaxMinimumPoolSize)
        {
            problems.Add($"Service '{service}': Zones.MinimumPoolSize ({key}:MinimumPoolSize) is {MinimumPoolSize}; it must be between 0 and {MaxMinimumPoolSize}.");
        }

        return problems;
    }

    // Affinity and ZoneAware prefer the caller's zone; without it they would quietly act as CrossZone.
    private void ValidateLocalZone(List<string> problems, string service, string key)
    {
        if (Mode is ZoneRoutingMode.Affinity or ZoneRoutingMode.ZoneAware && string.IsNullOrWhiteSpace(LocalZone))
        {
            problems.Add($"Service '{service}': Zones.Mode ({key}:Mode) is {Mode}, which needs the caller's zone, but Zones.LocalZone ({key}:LocalZone) is not set; set it (e.g. eu-west-1a), or use PerZone or CrossZone.");
        }
    }
}
