using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Health;

/// <summary>Draining: an endpoint removed from its source finishes its in-flight requests, then leaves.</summary>
public sealed class DrainingTests
{
    private static async Task<(ServicePool Pool, FakeTimeProvider Time, DynamicEndpointSource Source)> CreateAsync(TimeSpan? delay = null)
    {
        var time = TestClock.Create();
        var source = new DynamicEndpointSource("registry", [new LoadBalancedEndpoint(Fake(0)), new LoadBalancedEndpoint(Fake(1))]);
        var setup = Setup(time, LoadBalancingStrategies.FirstAvailable);
        setup.Sources.Add(source);
        if (delay is { } d)
        {
            setup.Options.DeregistrationDelay = d;
        }

        var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        return (pool, time, source);
    }

    private static void Update(ServicePool pool, DynamicEndpointSource source, params int[] indexes)
    {
        source.Update(indexes.Select(i => new LoadBalancedEndpoint(Fake(i))));
        WaitFor(() => pool.Endpoints.Take(indexes.Length).Select(s => s.Endpoint.Id).SequenceEqual(indexes.Select(i => new LoadBalancedEndpoint(Fake(i)).Id)),
            "the source update");
    }

    [Fact]
    public async Task Remove_WithLeaseOpen_DrainsGetsNoPicksAndLeavesAfterTheLease()
    {
        var (pool, time, source) = await CreateAsync();
        using var _1 = pool;
        var lease = pool.Acquire();
        var draining = lease.State;
        Assert.Equal(new LoadBalancedEndpoint(Fake(0)), lease.Endpoint);

        Update(pool, source, 1);

        Assert.Equal(2, pool.Endpoints.Count);
        Assert.Same(draining, pool.Endpoints[1]);
        Assert.Equal((EndpointHealth.Draining, EndpointHealthReason.DeregistrationInProgress), (Status(pool, 1).Health, Status(pool, 1).Reason));
        Assert.Equal(1, Status(pool, 1).ActiveRequests);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(new LoadBalancedEndpoint(Fake(1)), Complete(pool, RequestOutcome.Success));
        }

        lease.Complete(RequestOutcome.Success);
        Assert.Equal(2, pool.Endpoints.Count); // dropped on the next housekeeping tick
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(new LoadBalancedEndpoint(Fake(1)), Assert.Single(pool.Endpoints).Endpoint);
        Assert.Equal((EndpointHealth.Unused, EndpointHealthReason.NotRegistered), (draining.Health, draining.HealthReason));
        Assert.Equal(1, draining.TotalRequests); // the in-flight request finished and was counted
    }

    [Fact]
    public async Task Remove_LeaseOutlivesDeregistrationDelay_DroppedAtTheDelay()
    {
        var (pool, time, source) = await CreateAsync(TimeSpan.FromSeconds(60));
        using var _1 = pool;
        var lease = pool.Acquire();

        Update(pool, source, 1);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(EndpointHealth.Draining, Status(pool, 1).Health);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Single(pool.Endpoints);
        Assert.Equal(EndpointHealth.Unused, lease.State.Health);
        lease.Complete(RequestOutcome.Success); // a late completion is harmless
    }

    [Fact]
    public async Task Remove_NoRequestInFlight_DroppedAtOnce()
    {
        var (pool, _, source) = await CreateAsync();
        using var _1 = pool;
        var removed = pool.Endpoints[0];

        Update(pool, source, 1);

        Assert.Single(pool.Endpoints);
        Assert.Equal(EndpointHealth.Unused, removed.Health);
    }

    [Fact]
    public async Task Remove_DeregistrationDelayZero_DroppedAtOnceDespiteTheLease()
    {
        var (pool, _, source) = await CreateAsync(TimeSpan.Zero);
        using var _1 = pool;
        var lease = pool.Acquire();

        Update(pool, source, 1);

        Assert.Single(pool.Endpoints);
        Assert.Equal(EndpointHealth.Unused, lease.State.Health);
        lease.Complete(RequestOutcome.Success);
    }

    [Fact]
    public async Task Readd_WhileDraining_RevivedWithItsState()
    {
        var (pool, time, source) = await CreateAsync();
        using var _1 = pool;
        var lease = pool.Acquire();
        var state = lease.State;
        Update(pool, source, 1);
        Assert.Equal(EndpointHealth.Draining, state.Health);

        Update(pool, source, 0, 1);
        lease.Complete(RequestOutcome.Success);
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(2, pool.Endpoints.Count);
        Assert.Same(state, pool.Endpoints[0]);
        Assert.Equal((EndpointHealth.Unchecked, EndpointHealthReason.HealthChecksDisabled), (state.Health, state.HealthReason));
        Assert.Equal(new LoadBalancedEndpoint(Fake(0)), Complete(pool, RequestOutcome.Success)); // first available again
        Assert.Equal(2, state.TotalRequests);
    }

    [Fact]
    public async Task Remove_DrainingEndpoint_IsNotEjected()
    {
        var (pool, _, source) = await CreateAsync();
        using var _1 = pool;
        var lease = pool.Acquire();
        Update(pool, source, 1);

        CompleteOn(pool, lease.State, RequestOutcome.ConnectionFailure, 10);

        Assert.Equal(EndpointHealth.Draining, lease.State.Health);
        Assert.Null(Status(pool, 1).EjectedUntil);
        lease.Complete(RequestOutcome.Success);
    }
}
