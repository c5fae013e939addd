using Loadstone.Scaling;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Scaling;

public sealed class SubsetInstanceLauncherTests
{
    private static List<LoadBalancedEndpoint> Fleet(int perZone, params string[] zones) =>
        [.. zones.SelectMany(z => Enumerable.Range(1, perZone).Select(n => new LoadBalancedEndpoint($"http://{z}-{n}.fleet.invalid:8080", z)))];

    private static (ScalingGroup Group, SubsetInstanceLauncher Launcher, FakeTimeProvider Time) Group(DynamicEndpointSource fleet, int client, int clients, int size)
    {
        var time = TestClock.Create();
        var launcher = new SubsetInstanceLauncher(fleet, client, clients);
        var options = new ScalingGroupOptions { MinSize = size, MaxSize = 12 };
        options.AvailabilityZones.Add("a");
        options.AvailabilityZones.Add("b");
        options.AvailabilityZones.Add("c");
        var group = new ScalingGroup("subset", options, launcher, new ScalingGroupDependencies { TimeProvider = time, Random = new Random(3) });
        group.Start();
        return (group, launcher, time);
    }

    private static HashSet<string> InService(ScalingGroup group) =>
        group.Instances.Where(i => i.State == ScalingInstanceState.InService).Select(i => i.Endpoint!.Id).ToHashSet();

    [Fact]
    public void Launch_ThreeOfTwelve_OnePerZoneStablePerClient()
    {
        var fleet = new DynamicEndpointSource("fleet", Fleet(4, "a", "b", "c"));
        var (g1, l1, _) = Group(fleet, 1, 4, 3);
        var (g2, l2, _) = Group(fleet, 1, 4, 3);
        using var _1 = g1;
        using var _2 = g2;
        using var __1 = l1;
        using var __2 = l2;

        Assert.Equal(["a", "b", "c"], g1.Instances.Select(i => i.Endpoint!.Zone).Order());
        Assert.Equal(InService(g1), InService(g2));
    }

    [Fact]
    public void Launch_ManyClients_EveryEndpointUsedByTheSameNumberWithinOne()
    {
        var fleet = new DynamicEndpointSource("fleet", Fleet(4, "a", "b", "c"));
        var used = new Dictionary<string, int>();
        for (var c = 0; c < 40; c++)
        {
            var (group, launcher, _) = Group(fleet, c, 40, 3);
            foreach (var id in InService(group))
            {
                used[id] = used.GetValueOrDefault(id) + 1;
            }

            group.Dispose();
            launcher.Dispose();
        }

        // 40 clients × 3 = 120 picks over 12 endpoints: 10 each, within one.
        Assert.Equal(12, used.Count);
        Assert.All(used.Values, n => Assert.InRange(n, 9, 11));
    }

    [Fact]
    public void EndpointLeavesFleet_ReplacedInSameZone()
    {
        var endpoints = Fleet(4, "a", "b", "c");
        var fleet = new DynamicEndpointSource("fleet", endpoints);
        var (group, launcher, time) = Group(fleet, 1, 4, 3);
        using var _ = group;
        using var __ = launcher;
        var gone = group.Instances.Single(i => i.Zone == "b").Endpoint!;

        fleet.Update(endpoints.Where(e => e != gone));
        time.Advance(TimeSpan.FromSeconds(1));

        var now = InService(group);
        Assert.DoesNotContain(gone.Id, now);
        Assert.Equal(["a", "b", "c"], group.Instances.Select(i => i.Zone).Order());
        Assert.Equal(3, launcher.Active.Count);
    }

    [Fact]
    public void Launch_ZoneExhausted_FailsWithReason()
    {
        var fleet = new DynamicEndpointSource("fleet", Fleet(1, "a", "b", "c"));
        var (group, launcher, _) = Group(fleet, 1, 4, 3);
        using var _ = group;
        using var __ = launcher;
        group.SetDesiredCapacity(4);
        var failed = Assert.Single(group.Activities, a => a.Status == ScalingActivityStatus.Failed);
        Assert.Contains("has no unused endpoint in zone 'a' (3 of 3 active)", failed.StatusMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Launch_WithoutZones_TakesTheClientsDeterministicSubsetInOrder()
    {
        var endpoints = Fleet(20, "a", "b");
        using var launcher = new SubsetInstanceLauncher(new DynamicEndpointSource("fleet", endpoints), 3, 8);
        var preferences = SubsetPreferences.Build(endpoints);
        var start = preferences.StartOf(new PeerCoordinate(3, 8));
        var expected = Enumerable.Range(0, 5).Select(k => preferences[(start + k) % preferences.Count].Id).ToArray();

        var launched = new List<string>();
        for (var k = 0; k < 5; k++)
        {
            launched.Add((await launcher.LaunchAsync(null, CancellationToken.None)).Id);
        }

        Assert.Equal(expected, launched);
    }
}
