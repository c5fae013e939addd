namespace Loadstone.Tests.Zones;

public sealed class ZonePlanTests
{
    // SEMANTICS §4: zone a has 2 endpoints, zone b has 8.
    private static ZoneMember[] TwoAndEight(bool aHealthy = true) =>
        [.. Enumerable.Repeat(new ZoneMember("a", aHealthy), 2), .. Enumerable.Repeat(new ZoneMember("b", true), 8)];

    private static ZoneMember[] Members(params (string Zone, int Count)[] zones) =>
        zones.SelectMany(z => Enumerable.Repeat(new ZoneMember(z.Zone, true), z.Count)).ToArray();

    private static ZonePlan Plan(ZoneMember[] members, ZoneRoutingMode mode, string? local = "a", Action<ZoneOptions>? configure = null)
    {
        var options = new ZoneOptions { Mode = mode, LocalZone = local };
        configure?.Invoke(options);
        return ZonePlan.Create(options, members);
    }

    private static double ShareOf(ZonePlan plan, string zone) => plan.Shares[Array.IndexOf(plan.Zones, zone)];

    [Fact]
    public void Create_CrossZone_EveryEndpointTenPercent()
    {
        var plan = Plan(TwoAndEight(), ZoneRoutingMode.CrossZone);

        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(0.10, plan.EndpointShare(i), 12));
        Assert.False(plan.UsesZones);
    }

    [Fact]
    public void Create_PerZone_ATargetsTwentyFivePercentBTargetsSixPointTwoFive()
    {
        var plan = Plan(TwoAndEight(), ZoneRoutingMode.PerZone);

        Assert.All(Enumerable.Range(0, 2), i => Assert.Equal(0.25, plan.EndpointShare(i), 12));
        Assert.All(Enumerable.Range(2, 8), i => Assert.Equal(0.0625, plan.EndpointShare(i), 12));
        Assert.True(plan.UsesZones);
    }

    [Theory]
    [InlineData(ZoneRoutingMode.CrossZone, 0.10, 0.10)]
    [InlineData(ZoneRoutingMode.PerZone, 0.25, 0.0625)]
    public void PickZone_ManySeededPicks_ReproduceTheSharesPerEndpoint(ZoneRoutingMode mode, double perA, double perB)
    {
        var members = TwoAndEight();
        var plan = Plan(members, mode);
        var random = new Random(4);
        var hits = new int[members.Length];
        const int picks = 200_000;
        for (var n = 0; n < picks; n++)
        {
            var zone = plan.PickZone(random);
            var within = plan.MembersOf(zone);
            hits[within[random.Next(within.Length)]]++;
        }

        Assert.All(Enumerable.Range(0, 2), i => Assert.InRange(hits[i] / (double)picks, perA * 0.97, perA * 1.03));
        Assert.All(Enumerable.Range(2, 8), i => Assert.InRange(hits[i] / (double)picks, perB * 0.97, perB * 1.03));
    }

    [Fact]
    public void Create_FullAffinity_AllToTheLocalZone()
    {
        var plan = Plan(TwoAndEight(), ZoneRoutingMode.Affinity);

        Assert.Equal(1.0, ShareOf(plan, "a"));
        Assert.Equal(0.0, ShareOf(plan, "b"));
        Assert.Equal(0.5, plan.EndpointShare(0), 12);
    }

    [Fact]
    public void Create_PartialAffinity_EightyFivePercentLocalRestByCapacity()
    {
        var plan = Plan(Members(("a", 2), ("b", 6), ("c", 2)), ZoneRoutingMode.Affinity, configure: o => o.LocalShare = 0.85);

        Assert.Equal(0.85, ShareOf(plan, "a"), 12);
        Assert.Equal(0.15 * 6 / 8, ShareOf(plan, "b"), 12);
        Assert.Equal(0.15 * 2 / 8, ShareOf(plan, "c"), 12);
    }

    [Theory]
    [InlineData(ZoneRoutingMode.Affinity)]
    [InlineData(ZoneRoutingMode.ZoneAware)]
    [InlineData(ZoneRoutingMode.PerZone)]
    public void Create_LocalZoneAllUnhealthy_SpillsEverythingAtOnce(ZoneRoutingMode mode)
    {
        var plan = Plan(TwoAndEight(aHealthy: false), mode);

        Assert.Equal(0.0, ShareOf(plan, "a"));
        Assert.Equal(1.0, ShareOf(plan, "b"), 12);
        Assert.Empty(plan.MembersOf(Array.IndexOf(plan.Zones, "a")).ToArray());
        Assert.False(plan.FailOpen);
    }

    [Fact]
    public void Create_LocalZoneWithoutEndpoints_SpillsByCapacity()
    {
        var plan = Plan(Members(("b", 6), ("c", 2)), ZoneRoutingMode.Affinity);

        Assert.Equal(-1, plan.LocalZoneIndex);
        Assert.Equal(0.75, ShareOf(plan, "b"), 12);
    }

    [Fact]
    public void Create_PartiallyUnhealthyLocalZone_KeepsAffinityOnItsHealthyEndpoints()
    {
        ZoneMember[] members = [new("a", true), new("a", false), .. Enumerable.Repeat(new ZoneMember("b", true), 8)];

        var plan = Plan(members, ZoneRoutingMode.Affinity);

        Assert.Equal(1.0, plan.EndpointShare(0));
        Assert.Equal(0.0, plan.EndpointShare(1));
    }

    [Fact]
    public void Create_NothingHealthy_FailsOpenOverEveryEndpoint()
    {
        ZoneMember[] members = [new("a", false), new("b", false), new("b", false)];

        var plan = Plan(members, ZoneRoutingMode.PerZone);

        Assert.True(plan.FailOpen);
        Assert.Equal(0.5, plan.EndpointShare(0), 12);
        Assert.Equal(0.25, plan.EndpointShare(1), 12);
    }

    [Fact]
    public void Create_ZoneAwareLocalHasEnoughCapacity_StaysFullyLocal()
    {
        // L(a) = 0.2, U(a) = 0.4: U ≥ L.
        var plan = Plan(Members(("a", 4), ("b", 6)), ZoneRoutingMode.ZoneAware, configure: o =>
        {
            o.CallerShares["a"] = 2;
            o.CallerShares["b"] = 8;
        });

        Assert.Equal(1.0, ShareOf(plan, "a"));
    }

    [Fact]
    public void Create_ZoneAwareResidualExample_SpillsInProportionToSpareCapacity()
    {
        // Callers: a 50 %, b 25 %, c 25 %. Healthy upstreams: a 1, b 4, c 5 of 10, so U = 0.1, 0.4, 0.5.
        // A caller in a keeps U/L = 0.2 local; spare capacity is b 0.4 − 0.25 = 0.15 and c 0.5 − 0.25 = 0.25,
        // so the other 0.8 splits 0.15 : 0.25 → b 0.3, c 0.5.
        var members = Members(("a", 1), ("b", 4), ("c", 5));
        void Callers(ZoneOptions o)
        {
            o.CallerShares["a"] = 0.5;
            o.CallerShares["b"] = 0.25;
            o.CallerShares["c"] = 0.25;
        }

        var fromA = Plan(members, ZoneRoutingMode.ZoneAware, "a", Callers);
        var fromB = Plan(members, ZoneRoutingMode.ZoneAware, "b", Callers);
        var fromC = Plan(members, ZoneRoutingMode.ZoneAware, "c", Callers);

        Assert.Equal([0.2, 0.3, 0.5], fromA.Shares.Select(s => Math.Round(s, 12)));
        Assert.Equal([0.0, 1.0, 0.0], fromB.Shares);
        Assert.Equal([0.0, 0.0, 1.0], fromC.Shares);

        // The point of the algorithm: summed over the caller fleet, each zone's upstreams get exactly their share.
        for (var z = 0; z < 3; z++)
        {
            var load = (0.5 * fromA.Shares[z]) + (0.25 * fromB.Shares[z]) + (0.25 * fromC.Shares[z]);
            Assert.Equal(new[] { 0.1, 0.4, 0.5 }[z], load, 12);
        }
    }

    [Fact]
    public void Create_ZoneAwareOneResidualZone_TakesAllTheSpill()
    {
        // Callers a 0.5, b 0.3, c 0.2; upstreams a 2, b 2, c 4 → U = 0.25, 0.25, 0.5.
        var members = Members(("a", 2), ("b", 2), ("c", 4));
        void Callers(ZoneOptions o)
        {
            o.CallerShares["a"] = 5;
            o.CallerShares["b"] = 3;
            o.CallerShares["c"] = 2;
        }

        var fromA = Plan(members, ZoneRoutingMode.ZoneAware, "a", Callers);
        var fromB = Plan(members, ZoneRoutingMode.ZoneAware, "b", Callers);

        Assert.Equal(0.5, ShareOf(fromA, "a"), 12);
        Assert.Equal(0.0, ShareOf(fromA, "b"), 12);
        Assert.Equal(0.5, ShareOf(fromA, "c"), 12);
        Assert.Equal(0.25 / 0.3, ShareOf(fromB, "b"), 12);
        Assert.Equal(1 - (0.25 / 0.3), ShareOf(fromB, "c"), 12);
    }

    [Fact]
    public void Create_ZoneAwareWithoutCallerShares_AssumesCallersSpreadEvenly()
    {
        // L = 0.5 per zone; U(a) = 0.2 → keep 0.4 local.
        var plan = Plan(TwoAndEight(), ZoneRoutingMode.ZoneAware);

        Assert.Equal(0.4, ShareOf(plan, "a"), 12);
        Assert.Equal(0.6, ShareOf(plan, "b"), 12);
    }

    [Fact]
    public void Create_ZoneAwareBelowMinimumPoolSize_IgnoresZones()
    {
        var plan = Plan(Members(("a", 1), ("b", 4)), ZoneRoutingMode.ZoneAware);

        Assert.False(plan.UsesZones);
        Assert.Equal(0.2, ShareOf(plan, "a"), 12);

        var lowered = Plan(Members(("a", 1), ("b", 4)), ZoneRoutingMode.ZoneAware, configure: o => o.MinimumPoolSize = 5);
        Assert.True(lowered.UsesZones);
    }

    [Fact]
    public void Create_UnknownLocalZone_ActsAsCrossZone()
    {
        var plan = Plan(TwoAndEight(), ZoneRoutingMode.Affinity, local: null);

        Assert.False(plan.UsesZones);
        Assert.Equal(0.2, ShareOf(plan, "a"), 12);
    }

    [Fact]
    public void Create_ZoneNamesDifferInCase_AreOneZone()
    {
        ZoneMember[] members = [new("EU-West-1a", true), new("eu-west-1a", true), new("eu-west-1b", true)];

        var plan = Plan(members, ZoneRoutingMode.Affinity, local: "eu-west-1A");

        Assert.Equal(2, plan.Zones.Length);
        Assert.Equal(1.0, plan.Shares[plan.LocalZoneIndex]);
    }

    [Fact]
    public void Create_EndpointsWithoutZone_FormAZoneThatIsNeverLocal()
    {
        ZoneMember[] members = [new(null, true), new(null, true), new("a", true)];

        var plan = Plan(members, ZoneRoutingMode.PerZone);

        Assert.Equal(0.25, plan.EndpointShare(0), 12);
        Assert.Equal(0.5, plan.EndpointShare(2), 12);
    }

    [Fact]
    public void Create_Weights_CountAsCapacity()
    {
        ZoneMember[] members = [new("a", true, 3), new("b", true, 1)];

        var plan = Plan(members, ZoneRoutingMode.CrossZone);

        Assert.Equal(0.75, plan.EndpointShare(0), 12);
    }

    [Fact]
    public void PickZone_DrawsAcrossTheUnitInterval_FollowCumulativeShares()
    {
        var plan = Plan(TwoAndEight(), ZoneRoutingMode.PerZone);

        Assert.Equal(0, plan.PickZone(0.0));
        Assert.Equal(0, plan.PickZone(0.4999));
        Assert.Equal(1, plan.PickZone(0.5));
        Assert.Equal(1, plan.PickZone(0.9999999999999999));
    }
}
