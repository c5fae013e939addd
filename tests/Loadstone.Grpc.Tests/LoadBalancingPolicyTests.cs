using Grpc.Core;
using Grpc.Health.V1;
using Loadstone.Grpc.Tests.Echo;
using static Loadstone.Grpc.Tests.GrpcKit;

namespace Loadstone.Grpc.Tests;

/// <summary>
/// Loadstone as Grpc.Net.Client's load-balancing policy and resolver (<c>loadstone:///catalog</c>), against three real
/// Grpc.AspNetCore backends over h2c: unary and server-streaming calls spread by each strategy, one lease per call held
/// until the call ends, grpc-status outcomes feeding outlier detection, the gRPC health protocol as the active check.
/// </summary>
public sealed class LoadBalancingPolicyTests : IClassFixture<ThreeGrpcBackends>
{
    private readonly ThreeGrpcBackends _backends;

    public LoadBalancingPolicyTests(ThreeGrpcBackends backends)
    {
        _backends = backends;
        _backends.Reset();
    }

    public static TheoryData<string> Strategies => new()
    {
        LoadBalancingStrategies.RoundRobin,
        LoadBalancingStrategies.Random,
        LoadBalancingStrategies.WeightedRoundRobin,
        LoadBalancingStrategies.LeastRequests,
        LoadBalancingStrategies.PowerOfTwoChoices,
        LoadBalancingStrategies.PeakEwma,
        LoadBalancingStrategies.FirstAvailable,
    };

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task UnaryCalls_SpreadByTheStrategy(string strategy)
    {
        using var pool = Pool(strategy, _backends.All);
        using var channel = Channel(pool);
        var client = new Echo.Echo.EchoClient(channel);
        await WarmUpAsync(client, strategy == LoadBalancingStrategies.FirstAvailable ? [_backends[0]] : _backends.All);
        var before = pool.Endpoints.ToDictionary(e => e.Endpoint.Address.Port, e => e.TotalRequests);

        var counts = CountBy(await UnaryAsync(client, 60));

        AssertSpread(strategy, counts, 60);
        // Each call went where the pool chose: its per-endpoint counts are the backends'.
        Assert.All(_backends.All, b => Assert.Equal(counts.GetValueOrDefault(b.Name),
            pool.Endpoints.Single(e => e.Endpoint.Address.Port == b.Address.Port).TotalRequests - before[b.Address.Port]));
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task ServerStreamingCalls_SpreadByTheStrategy(string strategy)
    {
        using var pool = Pool(strategy, _backends.All);
        using var channel = Channel(pool);
        var client = new Echo.Echo.EchoClient(channel);
        await WarmUpAsync(client, strategy == LoadBalancingStrategies.FirstAvailable ? [_backends[0]] : _backends.All);
        var answered = new List<string>();

        for (var i = 0; i < 30; i++)
        {
            using var call = client.ServerStream(new StreamRequest { Count = 3 });
            var names = new List<string>();
            await foreach (var reply in call.ResponseStream.ReadAllAsync())
            {
                names.Add(reply.Backend);
            }

            Assert.Equal(3, names.Count);
            answered.Add(Assert.Single(names.Distinct()));
        }

        AssertSpread(strategy, CountBy(answered), 30);
        Assert.Equal(30, _backends.All.Sum(b => b.StreamCount));
    }

    [Fact]
    public async Task ServerStreamingCall_LeaseIsHeldUntilTheStreamEnds()
    {
        using var pool = Pool(LoadBalancingStrategies.RoundRobin, _backends.All);
        using var channel = Channel(pool);
        var client = new Echo.Echo.EchoClient(channel);
        await WarmUpAsync(client, _backends.All);
        var before = pool.Endpoints.ToDictionary(e => e, e => (e.TotalRequests, e.FailedRequests));

        using var call = client.ServerStream(new StreamRequest { Count = 4, IntervalMs = 100 });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var state = pool.Endpoints.Single(e => e.Endpoint.Address.Port == Backend(call.ResponseStream.Current.Backend).Address.Port);

        // The headers and the first message have arrived: the call is still in flight on its endpoint.
        Assert.Equal(1, state.ActiveRequests);
        var messages = 1;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            messages++;
        }

        Assert.Equal(4, messages);
        Assert.Equal(0, state.ActiveRequests);
        Assert.Equal(before[state].TotalRequests + 1, state.TotalRequests);
        Assert.Equal(before[state].FailedRequests, state.FailedRequests);
        Assert.True(state.Latency >= TimeSpan.FromMilliseconds(290), $"The call's latency was recorded as {state.Latency}.");
    }

    [Fact]
    public async Task ServerStreamingCall_AbandonedBeforeItsEnd_CompletesAsCanceled()
    {
        using var pool = Pool(LoadBalancingStrategies.RoundRobin, _backends.All);
        using var channel = Channel(pool);
        var client = new Echo.Echo.EchoClient(channel);

        await WarmUpAsync(client, _backends.All);
        var before = pool.Endpoints.ToDictionary(e => e, e => (e.TotalRequests, e.FailedRequests));
        EndpointState state;
        using (var call = client.ServerStream(new StreamRequest { Count = 50, IntervalMs = 20 }))
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            state = pool.Endpoints.Single(e => e.Endpoint.Address.Port == Backend(call.ResponseStream.Current.Backend).Address.Port);
            Assert.Equal(1, state.ActiveRequests);
        }

        // Disposed after one message of fifty: the lease ends as canceled, which is not the endpoint's failure.
        await Eventually.ThatAsync(() => state.ActiveRequests, n => n == 0);
        Assert.Equal(0, state.ActiveRequests);
        Assert.Equal(before[state], (state.TotalRequests, state.FailedRequests));
    }

    [Fact]
    public async Task BackendAnsweringUnavailable_IsEjected_AndRetriedCallsSucceed()
    {
        using var pool = Pool(LoadBalancingStrategies.RoundRobin, _backends.All);
        using var channel = Channel(pool, RetryUnavailable());
        var client = new Echo.Echo.EchoClient(channel);
        await WarmUpAsync(client, _backends.All);
        _backends[1].Failure = StatusCode.Unavailable;

        var counts = CountBy(await UnaryAsync(client, 40));

        Assert.False(counts.ContainsKey(_backends[1].Name));
        Assert.Equal(40, counts.Values.Sum());
        var failing = await Eventually.ThatAsync(() => pool.GetStatus().Endpoints.Single(e => e.Endpoint.Address.Port == _backends[1].Address.Port),
            e => e.Health == EndpointHealth.Unhealthy);
        Assert.Equal(EndpointHealthReason.EjectedConsecutiveGatewayErrors, failing.Reason);
        Assert.InRange(_backends[1].UnaryCount, 5, 6);
    }

    [Fact]
    public async Task GrpcHealthCheck_NotServingBackend_IsUnhealthyAndGetsNoCalls()
    {
        _backends[2].Health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.NotServing);
        using var pool = Pool(LoadBalancingStrategies.RoundRobin, _backends.All,
            o => o.HealthChecks.Active = new ActiveHealthCheckOptions { Enabled = true, Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromMilliseconds(500) },
            new ServicePoolDependencies { ActiveHealthCheck = new GrpcHealthCheck() });
        await pool.InitializeAsync();

        var status = await Eventually.ThatAsync(() => pool.GetStatus().Endpoints, e => e.Count(x => x.Health != EndpointHealth.Initial) == 3);
        Assert.Equal([EndpointHealth.Healthy, EndpointHealth.Healthy, EndpointHealth.Unhealthy], status.Select(e => e.Health));
        Assert.Equal(EndpointHealthReason.NotServing, status[2].Reason);

        using var channel = Channel(pool);
        var healthyClient = new Echo.Echo.EchoClient(channel);
        await WarmUpAsync(healthyClient, [_backends[0], _backends[1]]);
        var counts = CountBy(await UnaryAsync(healthyClient, 20));
        Assert.Equal(20, counts.GetValueOrDefault(_backends[0].Name) + counts.GetValueOrDefault(_backends[1].Name));

        _backends[2].Health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.Serving);
        var recovered = await Eventually.ThatAsync(() => pool.GetStatus().Endpoints[2], e => e.Health == EndpointHealth.Healthy);
        Assert.Equal(EndpointHealth.Healthy, recovered.Health);
    }

    [Fact]
    public async Task GrpcHealthCheck_ServerWithoutTheService_FailsWithResponseCodeMismatch()
    {
        var check = new GrpcHealthCheck("no.such.Service");
        using var pool = Pool(LoadBalancingStrategies.RoundRobin, [_backends[0]],
            o => o.HealthChecks.Active = new ActiveHealthCheckOptions { Enabled = true, Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromMilliseconds(500) },
            new ServicePoolDependencies { ActiveHealthCheck = check });
        await pool.InitializeAsync();

        var status = await Eventually.ThatAsync(() => pool.GetStatus().Endpoints[0], e => e.Health != EndpointHealth.Initial || e.Reason != EndpointHealthReason.InitialHealthChecking);

        // HealthServiceImpl answers NOT_FOUND for a service it does not know.
        Assert.Equal(EndpointHealthReason.NotServing, status.Reason);
    }

    private GrpcBackend Backend(string name) => _backends.All.Single(b => b.Name == name);

    private void AssertSpread(string strategy, Dictionary<string, int> counts, int total)
    {
        Assert.Equal(total, counts.Values.Sum());
        if (strategy == LoadBalancingStrategies.FirstAvailable)
        {
            Assert.Equal(total, counts.GetValueOrDefault(_backends[0].Name));
        }
        else if (strategy is LoadBalancingStrategies.RoundRobin or LoadBalancingStrategies.WeightedRoundRobin)
        {
            Assert.All(_backends.All, b => Assert.Equal(total / 3, counts.GetValueOrDefault(b.Name)));
        }
        else if (strategy == LoadBalancingStrategies.PeakEwma)
        {
            // Latency-aware: one call slower than the others (a new connection, a pause of the machine) may keep an
            // endpoint out for a while; the calls still spread over more than one endpoint.
            Assert.True(counts.Count >= 2, $"{strategy}: every call went to one endpoint ({string.Join(", ", counts)}).");
        }
        else
        {
            Assert.All(_backends.All, b => Assert.True(counts.GetValueOrDefault(b.Name) > 0, $"{strategy}: {b.Name} got no calls ({string.Join(", ", counts)})."));
        }
    }
}
