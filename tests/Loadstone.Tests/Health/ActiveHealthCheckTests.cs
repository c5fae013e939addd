using static Loadstone.Tests.Health.HealthKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Health;

/// <summary>Active health checks against real Kestrel backends, driven by a manual clock.</summary>
public sealed class ActiveHealthCheckTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Probe_FirstProbePasses_InitialBecomesHealthy()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup);
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        Assert.Equal((EndpointHealth.Initial, EndpointHealthReason.InitialHealthChecking), (Status(pool, 0).Health, Status(pool, 0).Reason));
        time.Advance(TimeSpan.Zero);

        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Healthy, "the first passing probe");
        Assert.Equal(EndpointHealthReason.None, Status(pool, 0).Reason);
        Assert.Equal(1, backend.RequestCount);
        Assert.Equal("/", Assert.Single(backend.Received));
    }

    [Fact]
    public async Task Probe_ServerErrorUpToUnhealthyThreshold_UnhealthyWithResponseCodeMismatch()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup, a => a.UnhealthyThreshold = 3);
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        var state = pool.Endpoints[0];
        time.Advance(TimeSpan.Zero);
        WaitFor(() => state.Health == EndpointHealth.Healthy, "healthy");

        backend.StatusCode = 500;
        for (var failures = 1; failures <= 2; failures++)
        {
            time.Advance(Interval);
            var expected = failures;
            WaitFor(() => state.ProbeFailures == expected, $"failing probe {failures}");
            Assert.Equal(EndpointHealth.Healthy, state.Health);
        }

        time.Advance(Interval);
        WaitFor(() => state.Health == EndpointHealth.Unhealthy, "unhealthy after the third failure");
        Assert.Equal(EndpointHealthReason.ResponseCodeMismatch, Status(pool, 0).Reason);
        Assert.Equal(4, backend.RequestCount);
    }

    [Fact]
    public async Task Probe_BackendSlowerThanTimeout_UnhealthyWithTimeout()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        var active = EnableActive(setup, a => a.UnhealthyThreshold = 1);
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        time.Advance(TimeSpan.Zero);
        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Healthy, "healthy");

        backend.Delay = TimeSpan.FromMinutes(1);
        time.Advance(Interval);
        WaitFor(() => backend.RequestCount == 2, "the slow probe reaching the backend");
        Assert.Equal(EndpointHealth.Healthy, Status(pool, 0).Health); // in flight, not judged yet
        time.Advance(active.Timeout);

        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Unhealthy, "unhealthy after the timeout");
        Assert.Equal(EndpointHealthReason.Timeout, Status(pool, 0).Reason);
    }

    [Fact]
    public async Task Probe_ClosedPort_InitialUntilThresholdThenUnhealthyWithConnectionFailure()
    {
        var time = TestClock.Create();
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, $"http://127.0.0.1:{ClosedPort()}");
        EnableActive(setup, a => a.UnhealthyThreshold = 2);
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        var state = pool.Endpoints[0];

        time.Advance(TimeSpan.Zero);
        WaitFor(() => state.ProbeFailures == 1, "the first failing probe");
        Assert.Equal(EndpointHealth.Initial, state.Health); // one failure is below the threshold
        time.Advance(Interval);

        WaitFor(() => state.Health == EndpointHealth.Unhealthy, "unhealthy after two failures");
        Assert.Equal(EndpointHealthReason.ConnectionFailure, Status(pool, 0).Reason);
    }

    [Fact]
    public async Task Probe_BackendStopped_UnhealthyWithConnectionFailure()
    {
        var time = TestClock.Create();
        var backend = await TestBackend.StartAsync("a");
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup, a => a.UnhealthyThreshold = 1);
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        time.Advance(TimeSpan.Zero);
        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Healthy, "healthy");

        await backend.DisposeAsync();
        time.Advance(Interval);

        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Unhealthy, "unhealthy once stopped");
        Assert.Equal(EndpointHealthReason.ConnectionFailure, Status(pool, 0).Reason);
    }

    [Fact]
    public async Task Probe_UnhealthyThenPasses_HealthyOnlyAfterHealthyThreshold()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        backend.StatusCode = 503;
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup, a => (a.UnhealthyThreshold, a.HealthyThreshold) = (1, 3));
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        var state = pool.Endpoints[0];
        time.Advance(TimeSpan.Zero);
        WaitFor(() => state.Health == EndpointHealth.Unhealthy, "unhealthy");

        backend.StatusCode = 200;
        for (var passes = 1; passes <= 2; passes++)
        {
            time.Advance(Interval);
            var expected = passes;
            WaitFor(() => state.ProbeSuccesses == expected, $"passing probe {passes}");
            Assert.Equal((EndpointHealth.Unhealthy, EndpointHealthReason.ResponseCodeMismatch), (state.Health, state.HealthReason));
        }

        time.Advance(Interval);
        WaitFor(() => state.Health == EndpointHealth.Healthy, "healthy after the third pass");
        Assert.Equal(EndpointHealthReason.None, state.HealthReason);
    }

    [Fact]
    public async Task Probe_FailureBetweenPasses_RestartsTheHealthyCount()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        backend.StatusCode = 500;
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup, a => (a.UnhealthyThreshold, a.HealthyThreshold) = (1, 2));
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        var state = pool.Endpoints[0];
        time.Advance(TimeSpan.Zero);
        WaitFor(() => state.Health == EndpointHealth.Unhealthy, "unhealthy");

        backend.StatusCode = 200;
        time.Advance(Interval);
        WaitFor(() => state.ProbeSuccesses == 1, "one pass");
        backend.StatusCode = 500;
        time.Advance(Interval);
        WaitFor(() => state.ProbeFailures == 1, "a failure");
        backend.StatusCode = 200;
        time.Advance(Interval);
        WaitFor(() => state.ProbeSuccesses == 1, "one pass again");

        Assert.Equal(EndpointHealth.Unhealthy, state.Health);
        time.Advance(Interval);
        WaitFor(() => state.Health == EndpointHealth.Healthy, "healthy after two passes in a row");
    }

    [Theory]
    [InlineData("200,202", 202, true)]
    [InlineData("200,202", 204, false)]
    [InlineData("200-299", 204, true)]
    [InlineData("200-299", 302, false)]
    [InlineData("200", 200, true)]
    [InlineData("200", 201, false)]
    [InlineData("200-204, 404", 404, true)]
    public async Task Probe_Matcher_DecidesWhichStatusPasses(string matcher, int status, bool passes)
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        backend.StatusCode = status;
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup, a => (a.Matcher, a.UnhealthyThreshold) = (matcher, 1));
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        time.Advance(TimeSpan.Zero);

        WaitFor(() => Status(pool, 0).Health != EndpointHealth.Initial, "the first probe's verdict");
        Assert.Equal(passes ? EndpointHealth.Healthy : EndpointHealth.Unhealthy, Status(pool, 0).Health);
        Assert.Equal(passes ? EndpointHealthReason.None : EndpointHealthReason.ResponseCodeMismatch, Status(pool, 0).Reason);
    }

    [Fact]
    public async Task Probe_PathAndPortOverride_ProbesThatPortAndPathWithQuery()
    {
        var time = TestClock.Create();
        await using var traffic = await TestBackend.StartAsync("traffic");
        await using var health = await TestBackend.StartAsync("health");
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, traffic.Address.ToString());
        EnableActive(setup, a => (a.Path, a.Port) = ("/healthz?deep=1", health.Port));
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        time.Advance(TimeSpan.Zero);

        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Healthy, "healthy");
        Assert.Equal("/healthz?deep=1", Assert.Single(health.Received));
        Assert.Equal(0, traffic.RequestCount);
    }

    [Fact]
    public async Task Probe_EndpointWithPathPrefix_ProbesBehindThePrefix()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, new Uri(backend.Address, "/api").ToString());
        EnableActive(setup, a => a.Path = "/health");
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        time.Advance(TimeSpan.Zero);

        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Healthy, "healthy");
        Assert.Equal("/api/health", Assert.Single(backend.Received));
    }

    [Fact]
    public async Task Probe_Request_CarriesTheHealthCheckUserAgent()
    {
        var time = TestClock.Create();
        await using var backend = await UserAgentBackend.StartAsync();
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup);
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        time.Advance(TimeSpan.Zero);

        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Healthy, "healthy");
        Assert.Equal("Loadstone-HealthCheck/1.0", Assert.Single(backend.UserAgents));
        Assert.Equal(ActiveHealthCheckOptions.UserAgent, Assert.Single(backend.UserAgents));
    }

    [Theory]
    [InlineData("200", EndpointHealth.Unhealthy)]
    [InlineData("200-399", EndpointHealth.Healthy)]
    public async Task Probe_RedirectToAnotherHost_NotFollowedAndJudgedByTheMatcher(string matcher, EndpointHealth expected)
    {
        var time = TestClock.Create();
        await using var elsewhere = await UserAgentBackend.StartAsync();
        await using var redirecting = await UserAgentBackend.StartAsync(context =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = elsewhere.Address.ToString();
            return Task.CompletedTask;
        });
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, redirecting.Address.ToString());
        EnableActive(setup, a => (a.Matcher, a.UnhealthyThreshold) = (matcher, 1));
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        time.Advance(TimeSpan.Zero);

        WaitFor(() => Status(pool, 0).Health != EndpointHealth.Initial, "the probe's verdict");
        Assert.Equal(expected, Status(pool, 0).Health);
        Assert.Single(redirecting.UserAgents);
        Assert.Empty(elsewhere.UserAgents);
    }

    [Fact]
    public async Task Probe_StillInFlightAcrossSeveralIntervals_StartsNoSecondProbe()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var gate = new ProbeGate(holding: true);
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup);
        setup.ProbeHandler = () => gate;
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        time.Advance(TimeSpan.Zero);
        Assert.Equal(1, gate.Started);
        for (var i = 0; i < 5; i++)
        {
            time.Advance(Interval);
        }

        Assert.Equal(1, gate.Started);
        Assert.Equal(EndpointHealth.Initial, Status(pool, 0).Health);
        gate.Release();
        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Healthy, "the held probe's answer");
        Assert.Equal(1, backend.RequestCount);
        time.Advance(Interval);

        Assert.Equal(2, gate.Started); // the next probe waits a full interval after the previous one ended
        WaitFor(() => backend.RequestCount == 2, "the second probe");
    }

    [Fact]
    public async Task Probe_WithJitter_NextProbeWithinTheJitteredInterval()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var gate = new ProbeGate();
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup, a => a.Jitter = 0.5);
        setup.ProbeHandler = () => gate;
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();

        time.Advance(TimeSpan.Zero);
        WaitFor(() => pool.Endpoints[0].ProbeSuccesses == 1, "the first answer");

        for (var probe = 2; probe <= 6; probe++)
        {
            gate.Hold(); // so that jumping past the probe's timeout cannot end it before its answer
            time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
            Assert.Equal(probe - 1, gate.Started); // not before Interval × (1 − 0.5)
            time.Advance(TimeSpan.FromSeconds(10));
            Assert.Equal(probe, gate.Started); // nor after Interval × (1 + 0.5)
            gate.Release();
            var expected = probe;
            WaitFor(() => pool.Endpoints[0].ProbeSuccesses == expected, "its answer");
        }
    }

    [Fact]
    public async Task Probe_BeforeFirstUse_NotStartedUnlessEager()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var lazyGate = new ProbeGate();
        var lazySetup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(lazySetup);
        lazySetup.ProbeHandler = () => lazyGate;
        var eagerGate = new ProbeGate();
        var eagerSetup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(eagerSetup, a => a.StartEagerly = true);
        eagerSetup.ProbeHandler = () => eagerGate;
        using var lazy = lazySetup.Create("catalog");
        using var eager = eagerSetup.Create("catalog");

        time.Advance(Interval);

        Assert.Equal(0, lazyGate.Started);
        Assert.Equal(1, eagerGate.Started);
        lazy.Acquire().Complete(RequestOutcome.Success);
        await lazy.SettleAsync(); // the first request starts the pool without waiting for it
        time.Advance(TimeSpan.Zero);
        Assert.Equal(1, lazyGate.Started);
    }

    [Fact]
    public async Task Dispose_AfterProbing_NoFurtherProbes()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var gate = new ProbeGate();
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
        EnableActive(setup);
        setup.ProbeHandler = () => gate;
        var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        time.Advance(TimeSpan.Zero);
        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Healthy, "healthy");
        time.Advance(Interval);
        WaitFor(() => pool.Endpoints[0].ProbeSuccesses == 2, "the second probe's answer");

        pool.Dispose();
        for (var i = 0; i < 10; i++)
        {
            time.Advance(Interval);
        }

        Assert.Equal(2, gate.Started);
        Assert.Equal(2, backend.RequestCount);
    }

    [Fact]
    public async Task SendAsync_UnhealthyEndpoint_GetsNoTraffic()
    {
        var time = TestClock.Create();
        await using var sick = await TestBackend.StartAsync("sick");
        await using var well = await TestBackend.StartAsync("well");
        sick.StatusCode = 500;
        var setup = Setup(time, LoadBalancingStrategies.RoundRobin, sick.Address.ToString(), well.Address.ToString());
        EnableActive(setup, a => a.UnhealthyThreshold = 1);
        using var pool = setup.Create("catalog");
        await pool.InitializeAsync();
        time.Advance(TimeSpan.Zero);
        WaitFor(() => Status(pool, 0).Health == EndpointHealth.Unhealthy && Status(pool, 1).Health == EndpointHealth.Healthy, "one sick, one well");
        sick.StatusCode = 200; // answers traffic fine now, but no probe has said so yet
        using var client = new HttpClient(new LoadBalancingHandler(pool, new SocketsHttpHandler()));

        for (var i = 0; i < 20; i++)
        {
            using var response = await client.GetAsync("http://catalog/items");
            Assert.Equal("well", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(1, sick.RequestCount); // the probe only
        Assert.Equal(21, well.RequestCount);
        Assert.False(pool.IsFailingOpen);
    }

    [Fact]
    public async Task TryApplyOptions_ActiveChecksSwitchedOnThenOff_ProbingStartsAndStops()
    {
        var time = TestClock.Create();
        await using var backend = await TestBackend.StartAsync("a");
        var gate = new ProbeGate();
        PoolSetup Reloaded(bool active)
        {
            var setup = Setup(time, LoadBalancingStrategies.RoundRobin, backend.Address.ToString());
            setup.ProbeHandler = () => gate;
            if (active)
            {
                EnableActive(setup, a => a.UnhealthyThreshold = 1);
            }

            return setup;
        }

        using var pool = Reloaded(active: false).Create("catalog");
        await pool.InitializeAsync();
        var state = pool.Endpoints[0];
        Assert.Equal(EndpointHealth.Unchecked, state.Health);

        Assert.True(pool.TryApplyOptions(Reloaded(active: true).Options));
        Assert.Equal(EndpointHealth.Healthy, state.Health); // keeps its traffic until a probe says otherwise
        backend.StatusCode = 500;
        time.Advance(TimeSpan.Zero);
        WaitFor(() => state.Health == EndpointHealth.Unhealthy, "the first probe failing");
        Assert.Equal(1, gate.Started);

        Assert.True(pool.TryApplyOptions(Reloaded(active: false).Options));
        Assert.Equal((EndpointHealth.Unchecked, EndpointHealthReason.HealthChecksDisabled), (state.Health, state.HealthReason));
        time.Advance(Interval * 3);
        Assert.Equal(1, gate.Started);
        Assert.Equal(EndpointHealth.Unchecked, state.Health);
    }
}
