using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Endpoints;

public sealed class DynamicEndpointSourceTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly LoadBalancedEndpoint A = new("http://10.0.0.1:8080");
    private static readonly LoadBalancedEndpoint B = new("http://10.0.0.2:8080");
    private static readonly LoadBalancedEndpoint C = new("http://10.0.0.3:8080");

    [Fact]
    public async Task InitializeAsync_InitialEndpoints_InThePool()
    {
        var source = new DynamicEndpointSource("registry", [A, B]);
        using var pool = Pool(source);

        await pool.InitializeAsync();

        Assert.Equal([A, B], Members(pool));
    }

    [Fact]
    public async Task Update_AddAndRemove_TakesEffect()
    {
        var source = new DynamicEndpointSource("registry", [A, B]);
        using var pool = Pool(source, LoadBalancingStrategies.RoundRobin);
        await pool.InitializeAsync();

        source.Update([B, C]);

        Assert.True(SpinWait.SpinUntil(() => Members(pool).SequenceEqual([B, C]), Wait), string.Join(" ", Members(pool)));
        var picked = Enumerable.Range(0, 10).Select(_ => Pick(pool)).ToHashSet();
        Assert.Equal(new HashSet<LoadBalancedEndpoint> { B, C }, picked);
    }

    [Fact]
    public async Task Update_Empty_RejectedAndLastGoodSetKept()
    {
        var logs = new FakeLogCollector();
        var source = new DynamicEndpointSource("registry", [A, B]);
        using var pool = Pool(source, logs: logs);
        await pool.InitializeAsync();

        source.Update([]);

        Assert.True(SpinWait.SpinUntil(() => logs.CountOf("SourceUpdateRejected") == 1, Wait));
        Assert.Equal([A, B], Members(pool));
        var entry = logs.Entries.Single(e => e.Id.Name == "SourceUpdateRejected");
        Assert.Contains("'registry'", entry.Message, StringComparison.Ordinal);
        Assert.Contains("Endpoint source 'registry' of service 'svc' returned no endpoints; an empty update is rejected unless the source allows it (AllowsEmpty).", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_EmptyFromSourceThatAllowsIt_PoolScalesToZero()
    {
        var source = new DynamicEndpointSource("group", [A, B]) { AllowsEmpty = true };
        using var pool = Pool(source);
        await pool.InitializeAsync();

        source.Update([]);

        Assert.True(SpinWait.SpinUntil(() => pool.Endpoints.Count == 0, Wait));
        var ex = Assert.Throws<NoAvailableEndpointException>(() => pool.Acquire());
        Assert.Equal(NoAvailableEndpointReason.NoEndpoints, ex.Reason);

        source.Update([C]);
        Assert.True(SpinWait.SpinUntil(() => Members(pool).SequenceEqual([C]), Wait));
    }

    [Fact]
    public async Task Update_Duplicates_RejectedAndLastGoodSetKept()
    {
        var logs = new FakeLogCollector();
        var source = new DynamicEndpointSource("registry", [A, B]);
        using var pool = Pool(source, logs: logs);
        await pool.InitializeAsync();

        source.Update([C, new LoadBalancedEndpoint("HTTP://10.0.0.3:8080/"), A]);

        Assert.True(SpinWait.SpinUntil(() => logs.CountOf("SourceUpdateRejected") == 1, Wait));
        Assert.Equal([A, B], Members(pool));
        Assert.Contains(
            "Endpoint source 'registry' of service 'svc' lists endpoint 'http://10.0.0.3:8080' more than once.",
            logs.Entries.Single(e => e.Id.Name == "SourceUpdateRejected").Message,
            StringComparison.Ordinal);

        // A good update after a bad one still applies.
        source.Update([C]);
        Assert.True(SpinWait.SpinUntil(() => Members(pool).SequenceEqual([C]), Wait));
    }

    [Fact]
    public async Task Update_SetWithANull_RejectedByNameWithoutAnExceptionAndLastGoodSetKept()
    {
        var logs = new FakeLogCollector();
        var source = new DynamicEndpointSource("registry", [A, B]);
        using var pool = Pool(source, logs: logs);
        await pool.InitializeAsync();

        source.Update([C, null!]);

        Assert.True(SpinWait.SpinUntil(() => logs.CountOf("SourceUpdateRejected") == 1, Wait));
        var entry = logs.Entries.Single(e => e.Id.Name == "SourceUpdateRejected");
        Assert.Equal(
            "Service 'svc' rejected an update from endpoint source 'registry' and keeps its last good endpoints: Endpoint source 'registry' of service 'svc' returned null at index 1; every entry must be an endpoint.",
            entry.Message);
        Assert.Null(entry.Exception);
        Assert.Equal(0, logs.CountOf("SourceFailed"));
        Assert.Equal([A, B], Members(pool));

        // The source is not stuck: the next good update applies.
        source.Update([C]);
        Assert.True(SpinWait.SpinUntil(() => Members(pool).SequenceEqual([C]), Wait));
    }

    [Fact]
    public async Task InitializeAsync_SourceStartsEmpty_ReadyButNoEndpoints()
    {
        var source = new DynamicEndpointSource("registry");
        using var pool = Pool(source);

        await pool.InitializeAsync().WaitAsync(Wait);

        Assert.Empty(pool.Endpoints);
        var ex = Assert.Throws<NoAvailableEndpointException>(() => pool.Acquire());
        Assert.Equal(NoAvailableEndpointReason.NoEndpoints, ex.Reason);

        source.Update([A]);
        Assert.True(SpinWait.SpinUntil(() => pool.Endpoints.Count == 1, Wait));
        Assert.Equal(A, Pick(pool));
    }

    [Fact]
    public async Task Refresh_SourceThrows_LastGoodSetKept()
    {
        var logs = new FakeLogCollector();
        var source = new ScriptedSource([A, B]);
        using var pool = Pool(source, logs: logs);
        await pool.InitializeAsync();

        source.Fail = new InvalidOperationException("registry down");
        source.Signal();

        Assert.True(SpinWait.SpinUntil(() => logs.CountOf("SourceFailed") == 1, Wait));
        Assert.Equal([A, B], Members(pool));
        Assert.Equal("registry down", logs.Entries.Single(e => e.Id.Name == "SourceFailed").Exception?.Message);

        source.Fail = null;
        source.Endpoints = [C];
        source.Signal();
        Assert.True(SpinWait.SpinUntil(() => Members(pool).SequenceEqual([C]), Wait));
    }

    [Fact]
    public async Task InitializeAsync_SourceThrowsFirstTime_ReadyWithCodeEndpoints()
    {
        var logs = new FakeLogCollector();
        var source = new ScriptedSource([A]) { Fail = new InvalidOperationException("registry down") };
        var options = new LoadBalancingOptions();
        options.Endpoints.Add(B);
        using var pool = new ServicePool("svc", options, new ServicePoolDependencies { EndpointSources = [source], LoggerFactory = logs.CreateFactory() });

        await pool.InitializeAsync().WaitAsync(Wait);

        Assert.Equal([B], Members(pool));
        Assert.Equal(1, logs.CountOf("SourceFailed"));
    }

    [Fact]
    public async Task Update_EndpointKept_StateSurvives()
    {
        var time = TestClock.Create();
        var source = new DynamicEndpointSource("registry", [A, B]);
        using var pool = Pool(source, LoadBalancingStrategies.FirstAvailable, time: time);
        await pool.InitializeAsync();
        for (var i = 0; i < 3; i++)
        {
            var done = pool.Acquire();
            time.Advance(TimeSpan.FromSeconds(1));
            done.Complete(i == 0 ? RequestOutcome.ServerError : RequestOutcome.Success);
        }

        var open = pool.Acquire();
        var stateOfA = pool.Endpoints[0];
        Assert.Equal(A, open.Endpoint);

        source.Update([C, A.WithWeight(5)]);

        Assert.True(SpinWait.SpinUntil(() => Members(pool).SequenceEqual([C, A]), Wait));
        var after = pool.Endpoints[1];
        Assert.Same(stateOfA, after);
        Assert.Equal(5, after.Endpoint.Weight);
        Assert.Equal(1, after.ActiveRequests);
        Assert.Equal(3, after.TotalRequests);
        Assert.Equal(1, after.FailedRequests);
        Assert.InRange(after.Latency, TimeSpan.FromMilliseconds(999), TimeSpan.FromSeconds(1));
        Assert.Equal(0, pool.Endpoints[0].TotalRequests);

        open.Complete(RequestOutcome.Success);
        Assert.Equal(0, after.ActiveRequests);
        Assert.Equal(4, after.TotalRequests);
    }

    [Fact]
    public async Task Update_EndpointLeavesAndReturns_StartsFresh()
    {
        var source = new DynamicEndpointSource("registry", [A, B]);
        using var pool = Pool(source, LoadBalancingStrategies.FirstAvailable);
        await pool.InitializeAsync();
        Pick(pool);
        var before = pool.Endpoints[0];
        Assert.Equal(1, before.TotalRequests);

        source.Update([B]);
        Assert.True(SpinWait.SpinUntil(() => Members(pool).SequenceEqual([B]), Wait));
        source.Update([A, B]);
        Assert.True(SpinWait.SpinUntil(() => Members(pool).SequenceEqual([A, B]), Wait));

        Assert.NotSame(before, pool.Endpoints[0]);
        Assert.Equal(0, pool.Endpoints[0].TotalRequests);
    }

    [Fact]
    public async Task Update_AfterDispose_Ignored()
    {
        var source = new DynamicEndpointSource("registry", [A]);
        var pool = Pool(source);
        await pool.InitializeAsync();
        pool.Dispose();

        source.Update([B]);

        Assert.Equal([A], Members(pool));
    }

    private static ServicePool Pool(IEndpointSource source, string strategy = LoadBalancingStrategies.RoundRobin,
        FakeLogCollector? logs = null, TimeProvider? time = null)
    {
        return new ServicePool("svc", new LoadBalancingOptions { Strategy = strategy }, new ServicePoolDependencies
        {
            TimeProvider = time ?? TimeProvider.System,
            Random = new Random(1),
            EndpointSources = [source],
            LoggerFactory = logs?.CreateFactory(),
        });
    }

    private static LoadBalancedEndpoint[] Members(ServicePool pool) => pool.Endpoints.Select(e => e.Endpoint).ToArray();

    private static LoadBalancedEndpoint Pick(ServicePool pool)
    {
        var lease = pool.Acquire();
        lease.Complete(RequestOutcome.Success);
        return lease.Endpoint;
    }

    /// <summary>A source whose answer (or failure) the test sets, with a change signal it fires by hand.</summary>
    private sealed class ScriptedSource(IReadOnlyList<LoadBalancedEndpoint> endpoints) : IEndpointSource
    {
        private CancellationTokenSource _changed = new();

        public IReadOnlyList<LoadBalancedEndpoint> Endpoints { get; set; } = endpoints;

        public Exception? Fail { get; set; }

        public string Name => "scripted";

        public ValueTask<IReadOnlyList<LoadBalancedEndpoint>> GetEndpointsAsync(CancellationToken cancellationToken) =>
            Fail is { } failure ? ValueTask.FromException<IReadOnlyList<LoadBalancedEndpoint>>(failure) : new(Endpoints);

        public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changed).Token);

        public void Signal() => Interlocked.Exchange(ref _changed, new CancellationTokenSource()).Cancel();
    }
}
