using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Health;

/// <summary>An <see cref="IActiveHealthCheck"/> replaces what probes send and how answers are judged; the prober keeps the rest.</summary>
public sealed class CustomActiveHealthCheckTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task CustomCheck_ItsRequestIsSent_AndItsVerdictMovesTheEndpoint()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var check = new BodyCheck();
        var setup = new PoolSetup
        {
            Options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.RoundRobin },
            Time = time,
            ActiveHealthCheck = check,
        };
        setup.Options.Endpoints.Add(backend.Address.ToString());
        EnableActive(setup, a => a.UnhealthyThreshold = 1);
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        time.Advance(TimeSpan.Zero);
        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Healthy, "the first passing check");
        Assert.Equal("/custom-status", Assert.Single(backend.Received));

        check.Expected = "somebody else";
        time.Advance(Interval);
        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Unhealthy, "the failing check");
        Assert.Equal(EndpointHealthReason.NotServing, Status(pool, 0).Reason);
    }

    /// <summary>Passes when the body names the backend expected.</summary>
    private sealed class BodyCheck : IActiveHealthCheck
    {
        public volatile string Expected = "a";

        public HttpRequestMessage CreateRequest(Uri address, ActiveHealthCheckOptions options) =>
            new(HttpMethod.Get, new Uri(address, "/custom-status"));

        public async ValueTask<EndpointHealthReason> CheckAsync(HttpResponseMessage response, ActiveHealthCheckOptions options, CancellationToken cancellationToken) =>
            await response.Content.ReadAsStringAsync(cancellationToken) == Expected ? EndpointHealthReason.None : EndpointHealthReason.NotServing;
    }
}
