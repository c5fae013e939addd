using System.Net;
using Loadstone.Tests.Telemetry;
using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Hedging;

/// <summary>
/// Hedged requests against real Kestrel backends, with the hedging delay and attempt timeouts on the pool's manual clock:
/// the hedge wins and the loser is cancelled and recorded; the budget bounds hedges; hedging composes with attempt
/// timeouts, retries and requeues; requests that may not be sent twice are never hedged.
/// </summary>
public sealed class HedgingTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(30);

    private static (ServicePool Pool, HttpClient Client, FakeTimeProvider Time) Create(string service, Action<LoadBalancingOptions>? configure,
        params string[] addresses)
    {
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.FirstAvailable, addresses);
        setup.Options.Hedging.Enabled = true;
        setup.Options.Hedging.Delay = TimeSpan.FromMilliseconds(100);
        configure?.Invoke(setup.Options);
        var pool = setup.Create(service);
        return (pool, new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler())) { Timeout = TimeSpan.FromMinutes(2) }, time);
    }

    [Fact]
    public async Task SendAsync_FirstAttemptSlow_HedgeWinsAndTheLoserIsCancelledAndRecorded()
    {
        await using var slow = await TestBackend.StartAsync("slow");
        await using var fast = await TestBackend.StartAsync("fast");
        slow.Delay = Slow;
        using var metrics = new LoadstoneMetricCollector("hedge-wins");
        var (pool, client, time) = Create("hedge-wins", null, slow.Address.ToString(), fast.Address.ToString());
        using var _1 = pool;
        using var _2 = client;
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://hedge-wins/items");

        var sending = client.SendAsync(request);
        WaitFor(() => slow.RequestCount == 1, "the first attempt reaches the slow backend");
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Equal(0, fast.RequestCount);
        time.Advance(TimeSpan.FromMilliseconds(1));
        using var response = await sending;

        Assert.Equal("fast", await response.Content.ReadAsStringAsync());
        Assert.Same(request, response.RequestMessage);
        Assert.Equal(new Uri("http://hedge-wins/items"), request.RequestUri); // restored on return
        WaitFor(() => slow.AbortedCount == 1, "the slow attempt is cancelled");
        Assert.Equal(1, metrics.Sum("loadstone.hedges", ("loadstone.hedge.result", "won")));
        Assert.Equal(1, metrics.Sum("loadstone.attempts", ("loadstone.outcome", "canceled")));
        var loser = State(pool, slow.Address.ToString());
        Assert.Equal((0, 0L, 0L), (loser.ActiveRequests, loser.TotalRequests, loser.FailedRequests)); // not a failure
        Assert.True(loser.Latency >= TimeSpan.FromMilliseconds(100), $"{loser.Latency}"); // its 100 ms: a lower bound
    }

    [Fact]
    public async Task SendAsync_FirstAttemptAnswersWithinTheDelay_NoHedge()
    {
        await using var fast = await TestBackend.StartAsync("fast");
        await using var other = await TestBackend.StartAsync("other");
        using var metrics = new LoadstoneMetricCollector("hedge-none");
        var (pool, client, _) = Create("hedge-none", null, fast.Address.ToString(), other.Address.ToString());
        using var _1 = pool;
        using var _2 = client;

        for (var i = 0; i < 5; i++)
        {
            using var response = await client.GetAsync("http://hedge-none/items");
        }

        Assert.Equal((5, 0), (fast.RequestCount, other.RequestCount));
        Assert.Empty(metrics.Of("loadstone.hedges"));
    }

    [Fact]
    public async Task SendAsync_HedgeBudget_BoundsHedgesToTheFloorWhenTrafficIsLow()
    {
        await using var slow = await TestBackend.StartAsync("slow");
        await using var fast = await TestBackend.StartAsync("fast");
        slow.Delay = TimeSpan.FromMilliseconds(300);
        var (pool, client, time) = Create("hedge-budget", o => o.Hedging.MaxExtraLoadPercent = 1, slow.Address.ToString(), fast.Address.ToString());
        using var _1 = pool;
        using var _2 = client;

        var answeredBy = new List<string>();
        for (var i = 1; i <= 12; i++)
        {
            var sending = client.GetStringAsync("http://hedge-budget/items");
            WaitFor(() => slow.RequestCount == i, "the first attempt reaches the slow backend");
            time.Advance(TimeSpan.FromMilliseconds(100));
            answeredBy.Add(await sending);
        }

        // 12 requests × 1 % rounds to no hedge; the floor of one per second over the 10-second window allows 10.
        Assert.Equal([.. Enumerable.Repeat("fast", 10), "slow", "slow"], answeredBy);
    }

    [Fact]
    public async Task SendAsync_BothAttemptsTimeOut_RetriedOnAThirdEndpoint()
    {
        await using var slow1 = await TestBackend.StartAsync("slow1");
        await using var slow2 = await TestBackend.StartAsync("slow2");
        await using var fast = await TestBackend.StartAsync("fast");
        (slow1.Delay, slow2.Delay) = (Slow, Slow);
        using var metrics = new LoadstoneMetricCollector("hedge-timeout");
        var (pool, client, time) = Create("hedge-timeout", o => o.Retries.AttemptTimeout = TimeSpan.FromSeconds(1),
            slow1.Address.ToString(), slow2.Address.ToString(), fast.Address.ToString());
        using var _1 = pool;
        using var _2 = client;

        var sending = client.GetStringAsync("http://hedge-timeout/items");
        WaitFor(() => slow1.RequestCount == 1, "the first attempt starts");
        time.Advance(TimeSpan.FromMilliseconds(100));
        WaitFor(() => slow2.RequestCount == 1, "the hedge starts");
        time.Advance(TimeSpan.FromMilliseconds(900)); // the first attempt's timeout
        time.Advance(TimeSpan.FromMilliseconds(100)); // the hedge's

        Assert.Equal("fast", await sending);
        Assert.Equal(1, metrics.Sum("loadstone.hedges", ("loadstone.hedge.result", "failed")));
        Assert.Equal(2, metrics.Sum("loadstone.attempts", ("loadstone.outcome", "timeout")));
        Assert.Equal(1, metrics.Sum("loadstone.retries"));
    }

    [Fact]
    public async Task SendAsync_FirstEndpointRefuses_RequeuedAndTheRequeueIsHedged()
    {
        await using var slow = await TestBackend.StartAsync("slow");
        await using var fast = await TestBackend.StartAsync("fast");
        slow.Delay = Slow;
        var refusing = $"http://127.0.0.1:{ClosedPort()}";
        using var metrics = new LoadstoneMetricCollector("hedge-requeue");
        var (pool, client, time) = Create("hedge-requeue", null, refusing, slow.Address.ToString(), fast.Address.ToString());
        using var _1 = pool;
        using var _2 = client;

        var sending = client.GetStringAsync("http://hedge-requeue/items");
        WaitFor(() => slow.RequestCount == 1, "the requeued attempt reaches the slow backend");
        time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal("fast", await sending);
        Assert.Equal(1, metrics.Sum("loadstone.requeues"));
        Assert.Equal(1, metrics.Sum("loadstone.hedges", ("loadstone.hedge.result", "won")));
    }

    [Fact]
    public async Task SendAsync_Post_NeverHedged()
    {
        await using var slow = await TestBackend.StartAsync("slow");
        await using var fast = await TestBackend.StartAsync("fast");
        slow.Delay = TimeSpan.FromMilliseconds(300);
        var (pool, client, time) = Create("hedge-post", null, slow.Address.ToString(), fast.Address.ToString());
        using var _1 = pool;
        using var _2 = client;

        var sending = client.PostAsync("http://hedge-post/orders", new StringContent("x"));
        WaitFor(() => slow.RequestCount == 1, "the attempt starts");
        time.Advance(TimeSpan.FromSeconds(1));
        using var response = await sending;

        Assert.Equal("slow", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, fast.RequestCount);
    }

    [Fact]
    public async Task SendAsync_PercentileDelay_HedgesOnlyOnceEnoughLatenciesAreKnown()
    {
        await using var first = await TestBackend.StartAsync("first");
        await using var second = await TestBackend.StartAsync("second");
        var (pool, client, time) = Create("hedge-percentile", o => o.Hedging.Delay = null, first.Address.ToString(), second.Address.ToString());
        using var _1 = pool;
        using var _2 = client;
        await pool.InitializeAsync();

        Assert.Null(pool.Hedging!.Delay); // no latency seen yet: no hedging
        for (var i = 0; i < LatencyWindow.MinimumSamples; i++)
        {
            await client.GetStringAsync("http://hedge-percentile/items");
        }

        time.Advance(TimeSpan.FromSeconds(1)); // housekeeping recomputes the percentile
        // Every attempt took no time on the manual clock: the percentile is 0, so the delay is the 1 ms floor.
        Assert.Equal(HedgingPolicy.MinimumDelay, pool.Hedging.Delay);

        first.Delay = Slow;
        var sending = client.GetStringAsync("http://hedge-percentile/items");
        WaitFor(() => first.RequestCount == LatencyWindow.MinimumSamples + 1, "the slow attempt starts");
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("second", await sending);
    }
}
