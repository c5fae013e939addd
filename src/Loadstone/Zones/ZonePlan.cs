namespace Loadstone;

/// <summary>One endpoint as zone planning sees it: its zone, whether it is healthy, and its weight.</summary>
/// <param name="Zone">The endpoint's zone; <see langword="null"/> (unknown) is a zone of its own, never local.</param>
/// <param name="IsHealthy">Whether it may take traffic.</param>
/// <param name="Weight">Its relative capacity, &gt; 0.</param>
internal readonly record struct ZoneMember(string? Zone, bool IsHealthy, double Weight = 1);

/// <summary>
/// The share of traffic each zone gets, for one set of endpoints and one <see cref="ZoneOptions"/>: computed by
/// <see cref="Create"/> on the control plane when membership or health changes; the request path calls
/// <see cref="PickZone(Random)"/> and then lets the strategy choose among <see cref="MembersOf"/> that zone.
/// </summary>
internal sealed class ZonePlan
{
    private readonly double[] _cumulative;
    private readonly int[] _zoneOf;
    private readonly double[] _capacity;
    private readonly double[] _weights;

    private ZonePlan(string?[] zones, double[] shares, int[][] members, int[] zoneOf, double[] capacity,
        double[] weights, int localZone, bool failOpen, bool usesZones)
    {
        Zones = zones;
        Shares = shares;
        Members = members;
        _zoneOf = zoneOf;
        _capacity = capacity;
        _weights = weights;
        LocalZoneIndex = localZone;
        FailOpen = failOpen;
        UsesZones = usesZones;
        _cumulative = new double[shares.Length];
        var sum = 0d;
        for (var z = 0; z < shares.Length; z++)
        {
            sum += shares[z];
            _cumulative[z] = sum;
        }

        // Guard the last bucket against rounding so a draw just under 1 always lands somewhere.
        for (var z = shares.Length - 1; z >= 0; z--)
        {
            if (shares[z] > 0)
            {
                _cumulative[z] = double.MaxValue;
                break;
            }
        }
    }

    /// <summary>The distinct zones, in the order endpoints first name them.</summary>
    public string?[] Zones { get; }

    /// <summary>The share of traffic of each zone; they add up to 1.</summary>
    public double[] Shares { get; }

    /// <summary>For each zone, the indices (into the planned endpoints) of those that may take traffic.</summary>
    public int[][] Members { get; }

    /// <summary>The index of the caller's zone in <see cref="Zones"/>, or −1 when it has no endpoint (or is unknown).</summary>
    public int LocalZoneIndex { get; }

    /// <summary><see langword="true"/> when no endpoint was healthy, so all were treated as healthy.</summary>
    public bool FailOpen { get; }

    /// <summary>
    /// <see langword="false"/> when the plan is plain cross-zone (by mode, an unknown local zone, or a pool below the
    /// minimum size): the request path can skip zone selection and pick among all routable endpoints.
    /// </summary>
    public bool UsesZones { get; }

    /// <summary>The routable endpoints of one zone.</summary>
    public ReadOnlySpan<int> MembersOf(int zone) => Members[zone];

    /// <summary>Chooses a zone by the shares.</summary>
    public int PickZone(Random random) => PickZone(random.NextDouble());

    /// <summary>Chooses a zone by the shares from a uniform draw in [0, 1).</summary>
    public int PickZone(double draw)
    {
        var cumulative = _cumulative;
        for (var z = 0; z < cumulative.Length; z++)
        {
            if (draw < cumulative[z])
            {
                return z;
            }
        }

        return cumulative.Length - 1;
    }

    /// <summary>The share of all traffic the endpoint at <paramref name="index"/> gets when zones split by weight.</summary>
    public double EndpointShare(int index)
    {
        var zone = _zoneOf[index];
        return Members[zone].Contains(index) && _capacity[zone] > 0 ? Shares[zone] * _weights[index] / _capacity[zone] : 0;
    }

    /// <summary>Computes the plan.</summary>
    /// <param name="options">The zone options.</param>
    /// <param name="endpoints">The endpoints, with zone, health and weight; indices in the plan refer to this order.</param>
    public static ZonePlan Create(ZoneOptions options, ReadOnlySpan<ZoneMember> endpoints)
    {
        ArgumentNullException.ThrowIfNull(options);
        var zones = new List<string?>();
        var zoneOf = new int[endpoints.Length];
        var weights = new double[endpoints.Length];
        var anyHealthy = false;
        for (var i = 0; i < endpoints.Length; i++)
        {
            zoneOf[i] = IndexOf(zones, endpoints[i].Zone, add: true);
            weights[i] = endpoints[i].Weight;
            anyHealthy |= endpoints[i].IsHealthy;
        }

        var failOpen = !anyHealthy && endpoints.Length > 0;
        var z = zones.Count;
        var capacity = new double[z];
        var routable = new int[z];
        var memberLists = new List<int>[z];
        for (var k = 0; k < z; k++)
        {
            memberLists[k] = [];
        }

        for (var i = 0; i < endpoints.Length; i++)
        {
            if (endpoints[i].IsHealthy || failOpen)
            {
                capacity[zoneOf[i]] += weights[i];
                routable[zoneOf[i]]++;
                memberLists[zoneOf[i]].Add(i);
            }
        }

        var total = capacity.Sum();
        var routableCount = routable.Sum();
        var local = options.LocalZone is null ? -1 : IndexOf(zones, options.LocalZone, add: false);
        var shares = new double[z];
        var usesZones = true;
        if (total <= 0)
        {
            usesZones = false;
        }
        else
        {
            switch (options.Mode)
            {
                case ZoneRoutingMode.PerZone:
                    var live = capacity.Count(c => c > 0);
                    for (var k = 0; k < z; k++)
                    {
                        shares[k] = capacity[k] > 0 ? 1d / live : 0;
                    }

                    break;

                case ZoneRoutingMode.Affinity when options.LocalZone is not null:
                    Affinity(options.LocalShare, local, capacity, total, shares);
                    break;

                case ZoneRoutingMode.ZoneAware when options.LocalZone is not null && routableCount >= options.MinimumPoolSize:
                    ZoneAware(options, zones, local, capacity, total, shares);
                    break;

                default:
                    usesZones = false;
                    break;
            }

            if (!usesZones)
            {
                Proportional(capacity, total, shares, exclude: -1);
            }
        }

        var members = memberLists.Select(l => l.ToArray()).ToArray();
        return new ZonePlan([.. zones], shares, members, zoneOf, capacity, weights, local, failOpen, usesZones);
    }

    private static void Affinity(double localShare, int local, double[] capacity, double total, double[] shares)
    {
        if (local < 0 || capacity[local] <= 0)
        {
            // No healthy local endpoint: spill everything at once.
            Proportional(capacity, total, shares, exclude: -1);
            return;
        }

        var others = total - capacity[local];
        if (others <= 0)
        {
            shares[local] = 1;
            return;
        }

        shares[local] = localShare;
        for (var k = 0; k < capacity.Length; k++)
        {
            if (k != local)
            {
                shares[k] = (1 - localShare) * capacity[k] / others;
            }
        }
    }

    private static void ZoneAware(ZoneOptions options, List<string?> zones, int local, double[] capacity, double total, double[] shares)
    {
        var z = capacity.Length;
        var upstream = new double[z];
        for (var k = 0; k < z; k++)
        {
            upstream[k] = capacity[k] / total;
        }

        var callers = CallerShares(options, zones, local, out var localCallers);
        var localUpstream = local < 0 ? 0 : upstream[local];
        if (local >= 0 && capacity[local] > 0 && localUpstream >= localCallers)
        {
            shares[local] = 1;
            return;
        }

        // Here U < L (so L > 0), or the local zone has no healthy endpoint and spills entirely.
        var localPart = local >= 0 && localCallers > 0 ? localUpstream / localCallers : 0;
        var residual = new double[z];
        var residualSum = 0d;
        for (var k = 0; k < z; k++)
        {
            if (k != local)
            {
                residual[k] = Math.Max(0, upstream[k] - callers[k]);
                residualSum += residual[k];
            }
        }

        if (residualSum <= 0)
        {
            // Only reachable through rounding: spread by capacity instead.
            Proportional(capacity, total, shares, exclude: local);
            for (var k = 0; k < z; k++)
            {
                shares[k] *= 1 - localPart;
            }
        }
        else
        {
            for (var k = 0; k < z; k++)
            {
                shares[k] = residual[k] / residualSum * (1 - localPart);
            }
        }

        if (local >= 0)
        {
            shares[local] = localPart;
        }
    }

    // L for each endpoint zone, and for the local zone (which may have no endpoint).
    private static double[] CallerShares(ZoneOptions options, List<string?> zones, int local, out double localCallers)
    {
        var z = zones.Count;
        var result = new double[z];
        if (options.CallerShares.Count == 0)
        {
            var count = z + (local < 0 ? 1 : 0);
            Array.Fill(result, 1d / count);
            localCallers = 1d / count;
            return result;
        }

        var sum = options.CallerShares.Values.Sum();
        for (var k = 0; k < z; k++)
        {
            result[k] = zones[k] is { } name && options.CallerShares.TryGetValue(name, out var share) ? share / sum : 0;
        }

        localCallers = options.LocalZone is { } own && options.CallerShares.TryGetValue(own, out var mine) ? mine / sum : 0;
        return result;
    }

    private static void Proportional(double[] capacity, double total, double[] shares, int exclude)
    {
        var sum = exclude < 0 ? total : total - capacity[exclude];
        for (var k = 0; k < capacity.Length; k++)
        {
            shares[k] = k == exclude || sum <= 0 ? 0 : capacity[k] / sum;
        }
    }

    private static int IndexOf(List<string?> zones, string? zone, bool add)
    {
        for (var k = 0; k < zones.Count; k++)
        {
            if (string.Equals(zones[k], zone, StringComparison.OrdinalIgnoreCase))
            {
                return k;
            }
        }

        if (!add)
        {
            return -1;
        }

        zones.Add(zone);
        return zones.Count - 1;
    }
}
