using System.Net;
using System.Text.Json;
using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Pools;

/// <summary>
/// The explain view's per-endpoint verdict: whether an endpoint is routable and which routing note explains it (fail-open
/// of the pool, a draining endpoint, an outlier decision shown for one interval, a recent failure, a Retry-After), and
/// the JSON fields that carry them. On the pool's manual clock.
/// </summary>
public sealed class ServicePoolStatusNotesTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10); // outlier detection's default interval

    private static async Task<(ServicePool Pool, FakeTimeProvider Time)> CreateAsync(string service, int endpoints,
        Action<LoadBalancingOptions>? configure = null)
    {
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, Enumerable.Range(0, endpoints).Select(Fake).ToArray());
        configure?.Invoke(setup.Options);
        var pool = setup.Create(service);
        await pool.InitializeAsync();
        return (pool, time);
    }

    private static JsonElement JsonEndpoint(ServicePool pool, int index)
    {
        using var json = JsonDocument.Parse(pool.GetStatus().ToJson());
        return json.RootElement.GetProperty("endpoints")[index].Clone();
    }

    private static void UpdateSource(ServicePool pool, DynamicEndpointSource source, params int[] indexes)
    {
        source.Update(indexes.Select(i => new LoadBalancedEndpoint(Fake(i))));
        WaitFor(() => pool.Endpoints.Take(indexes.Length).Select(s => s.Endpoint.Id)
            .SequenceEqual(indexes.Select(i => new LoadBalancedEndpoint(Fake(i)).Id)), "the source update");
    }

    [Fact]
    public async Task ToJson_RoutableAndEjectedEndpoints_WriteRoutableAndRecentFailureRate()
    {
        var (pool, _) = await CreateAsync("notes-json", 3);
        using var _1 = pool;
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError, 5); // ejected
        CompleteOn(pool, pool.Endpoints[1], RequestOutcome.ServerError); // one failure: a rate of 0.5

        var (ejected, failing, fine) = (JsonEndpoint(pool, 0), JsonEndpoint(pool, 1), JsonEndpoint(pool, 2));

        Assert.False(ejected.GetProperty("routable").GetBoolean());
        Assert.True(failing.GetProperty("routable").GetBoolean());
        Assert.True(fine.GetProperty("routable").GetBoolean());
        Assert.Equal(0, ejected.GetProperty("recentFailureRate").GetDouble()); // an ejection starts afresh
        Assert.Equal(0.5, failing.GetProperty("recentFailureRate").GetDouble());
        Assert.Equal(0, fine.GetProperty("recentFailureRate").GetDouble());
        Assert.Equal(nameof(EndpointRoutingNote.RecentlyFailing), failing.GetProperty("note").GetString());
        Assert.False(fine.TryGetProperty("retryAfterUntil", out _));
    }

    [Fact]
    public async Task ToJson_EndpointUnderRetryAfter_WritesRetryAfterUntil()
    {
        var (pool, time) = await CreateAsync("notes-retry-after", 2);
        using var _1 = pool;
        pool.Endpoints[0].AvoidUntil(time.GetTimestamp() + (5 * time.TimestampFrequency)); // what a Retry-After: 5 does

        var endpoint = JsonEndpoint(pool, 0);

        Assert.Equal(time.GetUtcNow().AddSeconds(5), endpoint.GetProperty("retryAfterUntil").GetDateTimeOffset());
        Assert.Equal(nameof(EndpointRoutingNote.RetryAfter), endpoint.GetProperty("note").GetString());
        Assert.True(endpoint.GetProperty("routable").GetBoolean());
    }

    [Fact]
    public async Task GetStatus_WeightZeroMember_HealthyButNotRoutable()
    {
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin);
        setup.Options.Endpoints.Add(Fake(0), weight: 0);
        setup.Options.Endpoints.Add(Fake(1));
        using var pool = setup.Create("notes-weight-zero");
        await pool.InitializeAsync();

        var status = pool.GetStatus().Endpoints;

        Assert.Equal((EndpointHealth.Unchecked, false, EndpointRoutingNote.None), (status[0].Health, status[0].IsRoutable, status[0].Note));
        Assert.True(status[1].IsRoutable);
    }

    [Fact]
    public async Task GetStatus_DrainingEndpointWithARecentOutlierDecision_NotRoutableAndNoNote()
    {
        // Endpoint 0 is found an outlier (not enforced) and then leaves its source with a request in flight: while it
        // drains, the status shows it as neither routable nor carrying the member's outlier note.
        var time = TestClock.Create();
        var source = new DynamicEndpointSource("registry", Enumerable.Range(0, 3).Select(i => new LoadBalancedEndpoint(Fake(i))));
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin);
        setup.Sources.Add(source);
        setup.Options.HealthChecks.Passive.EnforcingPercent = 0;
        using var pool = setup.Create("notes-draining");
        await pool.InitializeAsync();
        var leaving = pool.Endpoints[0];
        CompleteOn(pool, leaving, RequestOutcome.ServerError, 5);
        Assert.Equal(EndpointRoutingNote.OutlierNotEnforced, Status(pool, 0).Note);
        var lease = new EndpointLease(leaving, pool.TimeProvider);

        UpdateSource(pool, source, 1, 2);

        var status = pool.GetStatus().Endpoints;
        Assert.Equal(3, status.Count);
        Assert.Same(leaving.Endpoint, status[2].Endpoint);
        Assert.Equal((EndpointHealth.Draining, false, EndpointRoutingNote.None), (status[2].Health, status[2].IsRoutable, status[2].Note));
        Assert.All(status.Take(2), s => Assert.True(s.IsRoutable));
        lease.Complete(RequestOutcome.Success);
    }

    [Fact]
    public async Task GetStatus_PoolFailingOpenWithADrainingEndpoint_MembersRoutableAsPoolFailingOpenDrainingNot()
    {
        // Active checks on and no probe answered yet: no member is healthy, so the pool fails open. A draining endpoint
        // is still not routable: failing open routes to every member, not to endpoints that left.
        var time = TestClock.Create();
        var source = new DynamicEndpointSource("registry", [new LoadBalancedEndpoint(Fake(0)), new LoadBalancedEndpoint(Fake(1))]);
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin);
        setup.Sources.Add(source);
        EnableActive(setup);
        setup.ProbeHandler = () => new Status500Handler();
        using var pool = setup.Create("notes-fail-open-draining");
        await pool.InitializeAsync();
        var leaving = pool.Endpoints[0];
        var lease = new EndpointLease(leaving, pool.TimeProvider);

        UpdateSource(pool, source, 1);

        var status = pool.GetStatus();
        Assert.True(status.IsFailingOpen);
        Assert.Equal(2, status.Endpoints.Count);
        Assert.NotEqual(EndpointHealth.Healthy, status.Endpoints[0].Health);
        Assert.Equal((true, EndpointRoutingNote.PoolFailingOpen), (status.Endpoints[0].IsRoutable, status.Endpoints[0].Note));
        Assert.Same(leaving.Endpoint, status.Endpoints[1].Endpoint);
        Assert.Equal((EndpointHealth.Draining, false, EndpointRoutingNote.None),
            (status.Endpoints[1].Health, status.Endpoints[1].IsRoutable, status.Endpoints[1].Note));
        lease.Complete(RequestOutcome.Success);
    }

    [Fact]
    public async Task GetStatus_RateOfExactlyHalfWithoutAStreak_RecentlyFailing()
    {
        // Every attempt failed (the rate reaches 1 in doubles; the streak rules are off, so nothing is ejected), then one
        // succeeded: no streak, and a recent failure rate of exactly 0.5, which still counts as recently failing.
        var (pool, _) = await CreateAsync("notes-half", 2, o =>
            (o.HealthChecks.Passive.ConsecutiveServerErrors, o.HealthChecks.Passive.ConsecutiveGatewayErrors) = (0, 0));
        using var _1 = pool;
        var state = pool.Endpoints[0];
        CompleteOn(pool, state, RequestOutcome.ServerError, 60);
        Assert.Equal(1, state.RecentFailureRate);
        CompleteOn(pool, state, RequestOutcome.Success);
        Assert.Equal((0.5, 0), (state.RecentFailureRate, state.FailureStreak));

        var status = Status(pool, 0);

        Assert.Equal((true, EndpointRoutingNote.RecentlyFailing, 0.5), (status.IsRoutable, status.Note, status.RecentFailureRate));
        CompleteOn(pool, state, RequestOutcome.Success); // 0.25 and no streak: nothing to say
        Assert.Equal(EndpointRoutingNote.None, Status(pool, 0).Note);
    }

    [Fact]
    public async Task GetStatus_StreakWhileTheRateFadedBelowHalf_StillRecentlyFailing()
    {
        var (pool, time) = await CreateAsync("notes-streak", 3);
        using var _1 = pool;
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError);

        time.Advance(TimeSpan.FromSeconds(1)); // one housekeeping tick: the rate fades, the streak stays

        Assert.InRange(pool.Endpoints[0].RecentFailureRate, 0.01, 0.4999);
        Assert.Equal(1, pool.Endpoints[0].FailureStreak);
        Assert.Equal(EndpointRoutingNote.RecentlyFailing, Status(pool, 0).Note);
    }

    [Fact]
    public async Task GetStatus_EjectionEndedWithinTheInterval_NextFailureShowsRecentlyFailing()
    {
        // An ejection records its (empty) note at its start; once it ends, that note is not shown again, even within the
        // interval: a new failure is what the status reports.
        var (pool, time) = await CreateAsync("notes-ejection-ended", 3, o =>
            (o.HealthChecks.Passive.BaseEjectionTime, o.HealthChecks.Passive.MaxEjectionTime) = (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
        using var _1 = pool;
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError, 5);
        Assert.Equal((false, EndpointRoutingNote.None), (Status(pool, 0).IsRoutable, Status(pool, 0).Note));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(Status(pool, 0).EjectedUntil);
        Assert.Equal((true, EndpointRoutingNote.None), (Status(pool, 0).IsRoutable, Status(pool, 0).Note));
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError);

        Assert.Equal(EndpointRoutingNote.RecentlyFailing, Status(pool, 0).Note);
    }

    [Fact]
    public async Task GetStatus_OutlierDecisionOneIntervalOld_NoLongerShown()
    {
        var (pool, time) = await CreateAsync("notes-interval", 3, o => o.HealthChecks.Passive.EnforcingPercent = 0);
        using var _1 = pool;
        CompleteOn(pool, pool.Endpoints[0], RequestOutcome.ServerError, 5);

        time.Advance(Interval - TimeSpan.FromTicks(1));
        Assert.Equal(EndpointRoutingNote.OutlierNotEnforced, Status(pool, 0).Note);
        time.Advance(TimeSpan.FromTicks(1));

        // Exactly one interval later the decision is not shown; its streak of failures still is.
        Assert.Equal(EndpointRoutingNote.RecentlyFailing, Status(pool, 0).Note);
    }

    private sealed class Status500Handler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError));
    }
}
