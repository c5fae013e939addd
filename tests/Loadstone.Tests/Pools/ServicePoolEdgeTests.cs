using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Primitives;

namespace Loadstone.Tests.Pools;

/// <summary>
/// The pool's edges a caller meets: arguments checked at construction, a reload with invalid options refused (and
/// said so in the log) with the running settings kept, and the no-endpoint error telling a pool still waiting for its
/// sources from one whose sources answered with nothing.
/// </summary>
public sealed class ServicePoolEdgeTests
{
    private static LoadBalancingOptions TwoEndpoints(string strategy = LoadBalancingStrategies.RoundRobin)
    {
        var options = new LoadBalancingOptions { Strategy = strategy };
        options.Endpoints.Add("http://10.0.0.1:8080");
        options.Endpoints.Add("http://10.0.0.2:8080");
        return options;
    }

    [Fact]
    public void Constructor_NullOptionsOrDependencies_ArgumentNullException()
    {
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => new ServicePool("catalog", null!)).ParamName);
        Assert.Equal("dependencies", Assert.Throws<ArgumentNullException>(
            () => new ServicePool("catalog", TwoEndpoints(), null!, StrategyCatalog.BuiltInOnly)).ParamName);
    }

    [Fact]
    public void TryApplyOptions_Invalid_RefusedLoggedAndTheRunningSettingsKept()
    {
        var logs = new FakeLogCollector();
        using var pool = new ServicePool("catalog", TwoEndpoints(), new ServicePoolDependencies
        {
            TimeProvider = TestClock.Create(),
            LoggerFactory = logs.CreateFactory(),
        });
        var invalid = TwoEndpoints(LoadBalancingStrategies.LeastRequests);
        invalid.LatencyDecayTime = TimeSpan.Zero;

        Assert.False(pool.TryApplyOptions(invalid));

        Assert.Equal(LoadBalancingStrategies.RoundRobin, pool.Snapshot.Strategy.Name);
        var entry = Assert.Single(logs.Entries, e => e.Id.Name == "OptionsRejected");
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("Service 'catalog' rejected reloaded options and keeps the current ones: ", entry.Message, StringComparison.Ordinal);
        Assert.Contains("LatencyDecayTime", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Acquire_SourcesNotAnsweredYet_TheErrorSaysSo()
    {
        var source = new PendingSource();
        using var pool = new ServicePool("catalog", new LoadBalancingOptions(), new ServicePoolDependencies
        {
            TimeProvider = TestClock.Create(),
            EndpointSources = [source],
        });

        var ex = Assert.Throws<NoAvailableEndpointException>(() => pool.Acquire());

        Assert.Equal(NoAvailableEndpointReason.NoEndpoints, ex.Reason);
        Assert.Equal("No endpoint of service 'catalog' is available: it has no endpoints. Its endpoint sources have not answered yet.", ex.Message);
        source.Answer.TrySetCanceled();
    }

    [Fact]
    public async Task Acquire_SourcesAnsweredWithNothing_NoWaitingDetail()
    {
        var source = new DynamicEndpointSource("registry");
        using var pool = new ServicePool("catalog", new LoadBalancingOptions(), new ServicePoolDependencies
        {
            TimeProvider = TestClock.Create(),
            EndpointSources = [source],
        });
        await pool.InitializeAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var ex = Assert.Throws<NoAvailableEndpointException>(() => pool.Acquire());

        Assert.Equal("No endpoint of service 'catalog' is available: it has no endpoints.", ex.Message);
    }

    /// <summary>A source whose first answer has not come yet.</summary>
    private sealed class PendingSource : IEndpointSource
    {
        public TaskCompletionSource<IReadOnlyList<LoadBalancedEndpoint>> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "pending";

        public async ValueTask<IReadOnlyList<LoadBalancedEndpoint>> GetEndpointsAsync(CancellationToken cancellationToken) =>
            await Answer.Task.WaitAsync(cancellationToken);

        public IChangeToken? GetChangeToken() => null;
    }
}
