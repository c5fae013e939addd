using Microsoft.Extensions.Options;
using static Loadstone.Tests.Connections.ConnectionKit;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Connections;

/// <summary>Connect, retry on another endpoint, budget, deadline and lease accounting, against real local TCP servers.</summary>
public sealed class ConnectionBalancerTests
{
    [Fact]
    public async Task ConnectAsync_OpenConnection_CountsAsInFlightUntilDisposed()
    {
        await using var server = TcpTestServer.Echo();
        using var pool = Pool("echo", LoadBalancingStrategies.LeastRequests, [server.Endpoint]);
        using var balancer = new ConnectionBalancer(pool);

        var connection = await balancer.ConnectAsync();
        var state = State(pool, server.Endpoint);

        Assert.Equal("hello", await EchoAsync(connection, "hello"));
        Assert.Equal(new LoadBalancedEndpoint(server.Endpoint), connection.Endpoint);
        Assert.Equal(1, connection.ConnectAttempts);
        Assert.Null(connection.SslStream);
        Assert.Equal(1, state.ActiveRequests);
        Assert.Equal(1, balancer.OpenConnections);
        Assert.Equal(1, state.TotalRequests); // the connect attempt, a success

        await connection.DisposeAsync();

        Assert.True(connection.IsClosed);
        Assert.Equal(0, state.ActiveRequests);
        Assert.Equal(0, balancer.OpenConnections);
        Assert.Equal(1, state.TotalRequests); // closing is not a second request
        Assert.Equal(0, state.FailedRequests);
        WaitFor(() => server.Open == 0, "the server to see the close");
    }

    [Fact]
    public async Task ConnectAsync_FirstEndpointRefuses_RetriesAnotherAndChargesTheRefusal()
    {
        await using var server = TcpTestServer.Echo();
        var refusing = RefusingEndpoint();
        using var pool = Pool("echo", LoadBalancingStrategies.FirstAvailable, [refusing, server.Endpoint]);
        using var balancer = new ConnectionBalancer(pool);

        await using var connection = await balancer.ConnectAsync();

        Assert.Equal(new LoadBalancedEndpoint(server.Endpoint), connection.Endpoint);
        Assert.Equal(2, connection.ConnectAttempts);
        Assert.Equal("x", await EchoAsync(connection, "x"));
        var refused = State(pool, refusing);
        Assert.Equal((1, 1, 0), (refused.TotalRequests, refused.FailedRequests, refused.ActiveRequests));
    }

    [Fact]
    public async Task ConnectAsync_EveryEndpointRefuses_ThrowsListingEachAttemptOnceAndUntried()
    {
        var endpoints = new[] { RefusingEndpoint(), RefusingEndpoint(), RefusingEndpoint() };
        using var pool = Pool("cache", LoadBalancingStrategies.RoundRobin, endpoints);
        using var balancer = new ConnectionBalancer(pool);

        var ex = await Assert.ThrowsAsync<ServiceConnectionException>(() => balancer.ConnectAsync().AsTask());

        Assert.Equal(ConnectFailureReason.AllAttemptsFailed, ex.Reason);
        Assert.Equal("cache", ex.ServiceName);
        Assert.Equal(3, ex.Attempts.Count);
        Assert.All(ex.Attempts, a => Assert.Equal(ConnectError.Refused, a.Error));
        Assert.Equal(3, ex.Attempts.Select(a => a.Endpoint).Distinct().Count());
        var listed = string.Join(" ", ex.Attempts.Select((a, i) => $"{i + 1}. {a.Endpoint.BaseAddress}: connection refused."));
        Assert.Equal($"No connection to service 'cache' could be made: 3 attempts failed, the connect budget. {listed}", ex.Message);
        Assert.IsAssignableFrom<IOException>(ex);
        Assert.All(pool.Endpoints, s => Assert.Equal((1, 0), (s.FailedRequests, s.ActiveRequests)));
    }

    [Fact]
    public async Task ConnectAsync_BudgetSmallerThanPool_StopsAtTheBudget()
    {
        var endpoints = new[] { RefusingEndpoint(), RefusingEndpoint(), RefusingEndpoint() };
        using var pool = Pool("cache", LoadBalancingStrategies.RoundRobin, endpoints);
        using var balancer = new ConnectionBalancer(pool, new ConnectionBalancerOptions { MaxConnectAttempts = 2 });

        var ex = await Assert.ThrowsAsync<ServiceConnectionException>(() => balancer.ConnectAsync().AsTask());

        Assert.Equal(2, ex.Attempts.Count);
        Assert.Equal(2, pool.Endpoints.Sum(s => s.FailedRequests));
    }

    [Fact]
    public async Task ConnectAsync_SingleEndpointRefuses_BudgetRetriesTheOnlyEndpoint()
    {
        var refusing = RefusingEndpoint();
        using var pool = Pool("cache", LoadBalancingStrategies.RoundRobin, [refusing]);
        using var balancer = new ConnectionBalancer(pool);

        var ex = await Assert.ThrowsAsync<ServiceConnectionException>(() => balancer.ConnectAsync().AsTask());

        Assert.Equal(3, ex.Attempts.Count);
        Assert.Equal(3, State(pool, refusing).FailedRequests);
    }

    [Fact]
    public async Task ConnectAsync_NoEndpoints_ThrowsNoAvailableEndpointWithThePoolsReason()
    {
        var source = new DynamicEndpointSource("registry") { AllowsEmpty = true };
        var setup = new PoolSetup { Time = TestClock.Create() };
        setup.Sources.Add(source);
        using var pool = setup.Create("cache");
        await pool.InitializeAsync();
        using var balancer = new ConnectionBalancer(pool);

        var ex = await Assert.ThrowsAsync<ServiceConnectionException>(() => balancer.ConnectAsync().AsTask());

        Assert.Equal(ConnectFailureReason.NoAvailableEndpoint, ex.Reason);
        Assert.Empty(ex.Attempts);
        var inner = Assert.IsType<NoAvailableEndpointException>(ex.InnerException);
        Assert.Equal(NoAvailableEndpointReason.NoEndpoints, inner.Reason);
        Assert.Equal($"No connection to service 'cache' could be made: {inner.Message}", ex.Message);
    }

    [Fact]
    public async Task ConnectAsync_RefusalsReachTheThreshold_EndpointEjectedAndNoLongerTried()
    {
        await using var server = TcpTestServer.Echo();
        var refusing = RefusingEndpoint();
        using var pool = Pool("echo", LoadBalancingStrategies.FirstAvailable, [refusing, server.Endpoint],
            o => (o.HealthChecks.Passive.SplitLocalFailures, o.HealthChecks.Passive.ConsecutiveLocalFailures) = (true, 2));
        using var balancer = new ConnectionBalancer(pool);

        var attempts = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            await using var connection = await balancer.ConnectAsync();
            attempts.Add(connection.ConnectAttempts);
        }

        // Two refusals (each hidden by a retry), then the ejection: every later connect goes straight to the server.
        Assert.Equal([2, 2, 1, 1, 1], attempts);
        await pool.SettleAsync(); // the ejection is published by the pool's control plane
        var ejected = State(pool, refusing);
        Assert.Equal((EndpointHealth.Unhealthy, EndpointHealthReason.EjectedConsecutiveLocalFailures), (ejected.Health, ejected.HealthReason));
        Assert.Equal(2, ejected.FailedRequests);
    }

    [Fact]
    public async Task ConnectAsync_CallerCancels_ThrowsCanceledAndChargesNobody()
    {
        await using var silent = TcpTestServer.Silent();
        using var pool = Pool("tls", LoadBalancingStrategies.FirstAvailable, [silent.Endpoint]);
        using var balancer = new ConnectionBalancer(pool, new ConnectionBalancerOptions { Tls = new ConnectionTlsOptions() });
        using var cancel = new CancellationTokenSource();

        var connect = balancer.ConnectAsync(cancel.Token).AsTask();
        silent.WaitForAccepted(1);
        await cancel.CancelAsync();

        var canceled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connect);
        Assert.Equal(cancel.Token, canceled.CancellationToken);
        var state = State(pool, silent.Endpoint);
        Assert.Equal((0, 0, 0), (state.ActiveRequests, state.TotalRequests, state.FailedRequests));
    }

    [Fact]
    public async Task ConnectAsync_AttemptOutlivesConnectTimeout_TimeoutChargedAndNextEndpointTried()
    {
        var time = TestClock.Create();
        await using var silent = TcpTestServer.Silent();
        using var certificate = Http.TestCertificates.CreateSelfSigned("cache");
        await using var good = TcpTestServer.Echo(certificate);
        using var pool = Pool("cache", LoadBalancingStrategies.FirstAvailable, [silent.Endpoint, good.Endpoint], time: time);
        using var balancer = new ConnectionBalancer(pool, new ConnectionBalancerOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(2),
            Tls = new ConnectionTlsOptions().UseClientOptions(TlsConnectionTests.TrustOnly(certificate)),
        });

        var connect = balancer.ConnectAsync().AsTask();
        silent.WaitForAccepted(1);
        Assert.False(connect.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));
        await using var connection = await connect.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(new LoadBalancedEndpoint(good.Endpoint), connection.Endpoint);
        Assert.Equal(2, connection.ConnectAttempts);
        Assert.Equal("ok", await EchoAsync(connection, "ok"));
        var slow = State(pool, silent.Endpoint);
        Assert.Equal((1, 1, 0), (slow.TotalRequests, slow.FailedRequests, slow.ActiveRequests));
    }

    [Fact]
    public async Task ConnectAsync_DeadlineRunsOut_ThrowsDeadlineExceededWithoutChargingTheEndpoint()
    {
        var time = TestClock.Create();
        await using var silent = TcpTestServer.Silent();
        using var pool = Pool("cache", LoadBalancingStrategies.FirstAvailable, [silent.Endpoint], time: time);
        using var balancer = new ConnectionBalancer(pool, new ConnectionBalancerOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            ConnectDeadline = TimeSpan.FromSeconds(1),
            Tls = new ConnectionTlsOptions(),
        });

        var connect = balancer.ConnectAsync().AsTask();
        silent.WaitForAccepted(1);
        time.Advance(TimeSpan.FromSeconds(1));

        var ex = await Assert.ThrowsAsync<ServiceConnectionException>(() => connect.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ConnectFailureReason.DeadlineExceeded, ex.Reason);
        var attempt = Assert.Single(ex.Attempts);
        Assert.Equal(ConnectError.DeadlineExceeded, attempt.Error);
        Assert.Contains("the connect deadline ran out.", ex.Message, StringComparison.Ordinal);
        var state = State(pool, silent.Endpoint);
        Assert.Equal((0, 0, 0), (state.ActiveRequests, state.TotalRequests, state.FailedRequests));
    }

    [Fact]
    public async Task ConnectAsync_TimeoutThenDeadline_SecondAttemptGetsOnlyWhatIsLeftOfTheDeadline()
    {
        var time = TestClock.Create();
        await using var first = TcpTestServer.Silent();
        await using var second = TcpTestServer.Silent();
        using var pool = Pool("cache", LoadBalancingStrategies.FirstAvailable, [first.Endpoint, second.Endpoint], time: time);
        using var balancer = new ConnectionBalancer(pool, new ConnectionBalancerOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(2),
            ConnectDeadline = TimeSpan.FromSeconds(3),
            Tls = new ConnectionTlsOptions(),
        });

        var connect = balancer.ConnectAsync().AsTask();
        first.WaitForAccepted(1);
        time.Advance(TimeSpan.FromSeconds(2)); // the first attempt's timeout
        second.WaitForAccepted(1);
        time.Advance(TimeSpan.FromSeconds(1)); // the deadline, 1 s into the second attempt (not its 2 s timeout)

        var ex = await Assert.ThrowsAsync<ServiceConnectionException>(() => connect.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ConnectFailureReason.DeadlineExceeded, ex.Reason);
        Assert.Equal([ConnectError.Timeout, ConnectError.DeadlineExceeded], ex.Attempts.Select(a => a.Error));
        Assert.Equal((1, 1), (State(pool, first.Endpoint).TotalRequests, State(pool, first.Endpoint).FailedRequests));
        Assert.Equal((0, 0), (State(pool, second.Endpoint).TotalRequests, State(pool, second.Endpoint).FailedRequests));
    }

    [Fact]
    public async Task Connection_ResetByServer_ChargedAsAConnectionFailureWhenClosed()
    {
        await using var server = TcpTestServer.Echo();
        using var pool = Pool("echo", LoadBalancingStrategies.FirstAvailable, [server.Endpoint]);
        using var balancer = new ConnectionBalancer(pool);
        var connection = await balancer.ConnectAsync();
        Assert.Equal("a", await EchoAsync(connection, "a"));

        server.ResetConnections();

        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await EchoAsync(connection, "b");
            }
        });
        var state = State(pool, server.Endpoint);
        Assert.Equal(0, state.FailedRequests); // charged at close, not while the owner may still be reading
        await connection.DisposeAsync();
        Assert.Equal((0, 1), (state.ActiveRequests, state.FailedRequests));
    }

    [Fact]
    public async Task Connection_ReportFailure_ChargedOnceWhenClosed()
    {
        await using var server = TcpTestServer.Echo();
        using var pool = Pool("echo", LoadBalancingStrategies.FirstAvailable, [server.Endpoint]);
        using var balancer = new ConnectionBalancer(pool);
        var connection = await balancer.ConnectAsync();

        connection.ReportFailure();
        connection.ReportFailure();
        await connection.DisposeAsync();
        connection.Dispose();

        var state = State(pool, server.Endpoint);
        Assert.Equal((0, 2, 1), (state.ActiveRequests, state.TotalRequests, state.FailedRequests));
        Assert.Equal(0, balancer.OpenConnections);
    }

    [Fact]
    public async Task Connection_ClosedNormally_NoLatencySampleFromItsLifetime()
    {
        var time = TestClock.Create();
        await using var server = TcpTestServer.Echo();
        using var pool = Pool("echo", LoadBalancingStrategies.FirstAvailable, [server.Endpoint], time: time);
        using var balancer = new ConnectionBalancer(pool);
        var state = State(pool, server.Endpoint);
        var before = state.Latency;

        var connection = await balancer.ConnectAsync(); // the connect takes no time on the manual clock
        time.Advance(TimeSpan.FromMinutes(10));
        await connection.DisposeAsync();

        // Ten minutes open did not become a ten-minute latency: only the connect was sampled, then decayed.
        Assert.True(state.Latency <= before, $"latency {state.Latency} > {before}");
    }

    [Fact]
    public void Constructor_InvalidOptions_ListsEveryProblemWithKeys()
    {
        using var pool = Pool("cache", LoadBalancingStrategies.LeastRequests, ["tcp://127.0.0.1:6379"]);

        var ex = Assert.Throws<OptionsValidationException>(() => new ConnectionBalancer(pool, new ConnectionBalancerOptions
        {
            MaxConnectAttempts = 0,
            ConnectTimeout = TimeSpan.FromMilliseconds(1),
            ConnectDeadline = TimeSpan.FromHours(1),
            Tls = new ConnectionTlsOptions { ServerName = (TlsServerName)7 },
        }));

        Assert.Equal(
        [
            "Service 'cache': MaxConnectAttempts (LoadBalancing:Connections:cache:MaxConnectAttempts) is 0; it must be between 1 and 10.",
            "Service 'cache': ConnectTimeout (LoadBalancing:Connections:cache:ConnectTimeout) is 00:00:00.0010000; it must be between 00:00:00.0100000 and 00:05:00.",
            "Service 'cache': ConnectDeadline (LoadBalancing:Connections:cache:ConnectDeadline) is 01:00:00; it must be between 00:00:00.0100000 and 00:10:00.",
            "Service 'cache': Tls:ServerName (LoadBalancing:Connections:cache:Tls:ServerName) is 7; use ServiceName or EndpointHost.",
        ], ex.Failures);
    }

    [Theory]
    [InlineData("tcp://127.0.0.1")]
    [InlineData("tcp://cache.internal")]
    public void TcpEndpoint_WithoutPort_Rejected(string address)
    {
        var ex = Assert.Throws<ArgumentException>(() => new LoadBalancedEndpoint(address));
        Assert.StartsWith($"'{address}' has no port; a tcp endpoint is written tcp://host:port.", ex.Message, StringComparison.Ordinal);
    }
}
