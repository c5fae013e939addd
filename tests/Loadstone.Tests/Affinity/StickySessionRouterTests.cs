using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Affinity;

public sealed class StickySessionRouterTests
{
    private readonly FakeTimeProvider _time = new();

    private static readonly string[] s_ids = Enumerable.Range(1, 8).Select(i => $"http://10.0.0.{i}:8080").ToArray();

    private StickySessionRouter Router(Action<StickySessionOptions>? configure = null)
    {
        var options = new StickySessionOptions().KeyFromHeader("X-User-Id");
        configure?.Invoke(options);
        return new StickySessionRouter(new PoolTelemetry("catalog", LoadstoneInstruments.For(null)), options, _time);
    }

    private static HttpRequestMessage Request(string? user)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "http://catalog/items");
        if (user is not null)
        {
            request.Headers.Add("X-User-Id", user);
        }

        return request;
    }

    [Fact]
    public void Pick_NoKey_ReturnsMinusOne()
    {
        var router = Router();

        Assert.Equal(-1, router.Pick(Request(null), router.Prepare(s_ids)));
        Assert.Equal(0, router.Bindings.Count);
    }

    [Fact]
    public void Pick_SameKey_SameEndpointEveryTime()
    {
        var router = Router();
        var candidates = router.Prepare(s_ids);
        var first = router.Pick(Request("alice"), candidates);

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(first, router.Pick(Request("alice"), candidates));
        }
    }

    [Fact]
    public void Pick_NewRouterWithSameIds_MapsKeysTheSame()
    {
        // A client restart: nothing carries over but the endpoint ids.
        var before = Router();
        var after = Router();
        var a = before.Prepare(s_ids);
        var b = after.Prepare(s_ids.Reverse().ToArray());

        for (var i = 0; i < 1000; i++)
        {
            var user = $"user-{i}";
            Assert.Equal(s_ids[before.Pick(Request(user), a)], s_ids.Reverse().ToArray()[after.Pick(Request(user), b)]);
        }
    }

    [Fact]
    public void Pick_EndpointAdded_BoundKeysStayWithinTheDuration()
    {
        var router = Router();
        var users = Enumerable.Range(0, 500).Select(i => $"user-{i}").ToArray();
        var before = router.Prepare(s_ids[..7]);
        var bound = users.ToDictionary(u => u, u => s_ids[router.Pick(Request(u), before)]);

        var after = router.Prepare(s_ids);
        _time.Advance(TimeSpan.FromHours(12));

        Assert.All(users, u => Assert.Equal(bound[u], s_ids[router.Pick(Request(u), after)]));

        // A fresh router (no bindings) would have moved some of them to the new endpoint.
        var fresh = Router();
        var freshCandidates = fresh.Prepare(s_ids);
        Assert.Contains(users, u => s_ids[fresh.Pick(Request(u), freshCandidates)] != bound[u]);
    }

    [Fact]
    public void Pick_AfterDurationIdle_KeyIsRemappedByHashing()
    {
        var router = Router(o => o.Duration = TimeSpan.FromMinutes(30));
        var users = Enumerable.Range(0, 500).Select(i => $"user-{i}").ToArray();
        var before = router.Prepare(s_ids[..7]);
        foreach (var u in users)
        {
            router.Pick(Request(u), before);
        }

        var after = router.Prepare(s_ids);
        _time.Advance(TimeSpan.FromMinutes(31));

        // Expired: keys follow the new table, so some now land on the added endpoint.
        Assert.Contains(users, u => router.Pick(Request(u), after) == 7);
    }

    [Fact]
    public void Pick_BoundEndpointRemoved_RedistributesAndStaysAfterItReturns()
    {
        var router = Router();
        var all = router.Prepare(s_ids);
        var home = router.Pick(Request("alice"), all);

        var without = s_ids.Where((_, i) => i != home).ToArray();
        var degraded = router.Prepare(without);
        var replacement = without[router.Pick(Request("alice"), degraded)];
        Assert.NotEqual(s_ids[home], replacement);

        // The old endpoint recovers: the key stays where it was rebound (application-key semantics).
        var recovered = router.Prepare(s_ids);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(replacement, s_ids[router.Pick(Request("alice"), recovered)]);
    }

    [Fact]
    public void Pick_BoundEndpointGoneWithFailPolicy_ThrowsOnceThenRebinds()
    {
        var router = Router(o => o.FailurePolicy = StickyFailurePolicy.Fail);
        var all = router.Prepare(s_ids);
        var home = router.Pick(Request("alice"), all);
        var degraded = router.Prepare(s_ids.Where((_, i) => i != home).ToArray());

        var ex = Assert.Throws<StickyEndpointUnavailableException>(() => router.Pick(Request("alice"), degraded));

        Assert.Equal("catalog", ex.ServiceName);
        Assert.Equal(StableHash.Hash("alice"), ex.KeyHash);
        Assert.DoesNotContain("alice", ex.Message, StringComparison.Ordinal);
        Assert.InRange(router.Pick(Request("alice"), degraded), 0, 6);
    }

    [Fact]
    public async Task Pick_ConcurrentFirstRequestsOfOneKey_AllAgree()
    {
        for (var round = 0; round < 50; round++)
        {
            var router = Router(o => o.BoundedLoadFactor = 1.0);
            var candidates = router.Prepare(s_ids);

            // With c = 1 one binding fills an endpoint of an empty table, so a thread that chooses after another has
            // bound picks a different endpoint: only the first binding may decide.
            var key = StableHash.Hash($"key-{round}");
            using var start = new Barrier(4);
            var picks = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait(TimeSpan.FromSeconds(10));
                return router.Pick(key, candidates);
            })));

            Assert.Single(picks.Distinct());
            Assert.Equal(1, router.Bindings.Count);
        }
    }

    [Fact]
    public void Pick_BoundedLoads_NoEndpointHoldsMoreThanCTimesAverage()
    {
        var router = Router(o =>
        {
            o.BoundedLoadFactor = 1.1;
            o.MaxBindings = 1_000_000;
        });
        var ids = Enumerable.Range(0, 200).Select(i => $"http://10.1.{i / 100}.{i % 100}:80").ToArray();
        var candidates = router.Prepare(ids);
        const int keys = 20_000;
        for (var i = 0; i < keys; i++)
        {
            router.Pick(StableHash.Hash($"k{i}"), candidates);
        }

        var loads = candidates.Loads.Select(l => l.Value).ToArray();
        Assert.Equal(keys, loads.Sum());
        Assert.True(loads.Max() <= Math.Ceiling(1.1 * keys / ids.Length), $"max {loads.Max()}");
    }

    [Fact]
    public void Pick_BoundedLoadsOff_UsesThePlainTable()
    {
        var router = Router(o => o.BoundedLoadFactor = 0);
        var candidates = router.Prepare(s_ids);

        for (var i = 0; i < 1000; i++)
        {
            var key = StableHash.Hash($"k{i}");
            Assert.Equal(candidates.Table.Lookup(key), router.Pick(key, candidates));
        }
    }
}
