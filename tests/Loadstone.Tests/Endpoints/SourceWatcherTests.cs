using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Logging.Testing;

namespace Loadstone.Tests.Endpoints;

/// <summary>The source watcher alone: last good sets, readiness, and what disposal stops.</summary>
public sealed class SourceWatcherTests
{
    private readonly Lock _gate = new();
    private readonly List<string> _changes = [];
    private readonly FakeLogCollector _logs = new();

    private SourceWatcher Watch(params IEndpointSource[] sources) =>
        new("catalog", sources, _gate, cause => _changes.Add(cause), new FakeLogger(_logs, "test"));

    private static LoadBalancedEndpoint E(int i) => new($"http://10.0.0.{i}:8080");

    [Fact]
    public void Ready_NoSources_AtOnce()
    {
        using var watcher = Watch();

        Assert.True(watcher.IsReady);
        Assert.Empty(watcher.Endpoints);
    }

    [Fact]
    public async Task Start_TwoSources_ReadyWhenBothAnsweredAndEndpointsInSourceOrder()
    {
        var slow = new GatedSource([E(3)]);
        using var watcher = Watch(EndpointSource.Static(E(1), E(2)), slow);

        watcher.Start();
        Assert.False(watcher.IsReady);
        slow.Release();
        await watcher.Ready.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([E(1), E(2), E(3)], watcher.Endpoints);
        Assert.Equal(2, _changes.Count);
    }

    [Fact]
    public async Task Update_Bad_RejectedLoggedAndTheLastGoodSetKept()
    {
        var source = new DynamicEndpointSource("registry", [E(1)]);
        using var watcher = Watch(source);
        watcher.Start();
        await watcher.Ready.WaitAsync(TimeSpan.FromSeconds(10));

        source.Update([]);
        source.Update([E(2), E(2)]);

        Assert.Equal([E(1)], watcher.Endpoints);
        Assert.Equal(2, _logs.CountOf("SourceUpdateRejected"));
        Assert.Contains(_logs.Entries, e => e.Message.Contains("endpoint source 'registry'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Refresh_SourceThrowsOrReturnsNull_LastGoodKeptAndAFirstFailureStillMakesItReady()
    {
        var flaky = new ScriptedSource(() => throw new InvalidOperationException("registry down"));
        using var watcher = Watch(flaky);

        watcher.Start();
        await watcher.Ready.WaitAsync(TimeSpan.FromSeconds(10)); // a broken source must not hang callers

        Assert.Empty(watcher.Endpoints);
        Assert.Equal(1, _logs.CountOf("SourceFailed"));
        flaky.Answer = () => [E(1)];
        flaky.Fire();
        Assert.Equal([E(1)], watcher.Endpoints);
        flaky.Answer = () => null!;
        flaky.Fire();
        Assert.Equal([E(1)], watcher.Endpoints);
        Assert.Contains(_logs.Entries, e => e.Message.Contains("returned null", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dispose_AfterStart_TheSourcesTokenIsCancelledAndChangesAreNoLongerRead()
    {
        var source = new ScriptedSource(() => [E(1)]);
        var watcher = Watch(source);
        watcher.Start();
        await watcher.Ready.WaitAsync(TimeSpan.FromSeconds(10));
        var reads = source.Reads;

        watcher.Dispose();
        source.Fire();

        Assert.True(source.LastToken.IsCancellationRequested);
        Assert.Equal(reads, source.Reads);
        Assert.Single(_changes);
    }

    /// <summary>Answers what <see cref="Answer"/> says, synchronously; <see cref="Fire"/> signals a change.</summary>
    private sealed class ScriptedSource(Func<IReadOnlyList<LoadBalancedEndpoint>> answer) : IEndpointSource
    {
        private CancellationTokenSource _changed = new();

        public Func<IReadOnlyList<LoadBalancedEndpoint>> Answer { get; set; } = answer;

        public int Reads { get; private set; }

        public CancellationToken LastToken { get; private set; }

        public string Name => "scripted";

        public ValueTask<IReadOnlyList<LoadBalancedEndpoint>> GetEndpointsAsync(CancellationToken cancellationToken)
        {
            Reads++;
            LastToken = cancellationToken;
            return new(Answer());
        }

        public IChangeToken GetChangeToken() => new CancellationChangeToken(_changed.Token);

        public void Fire() => Interlocked.Exchange(ref _changed, new CancellationTokenSource()).Cancel();
    }

    /// <summary>Answers only once released.</summary>
    private sealed class GatedSource(IReadOnlyList<LoadBalancedEndpoint> endpoints) : IEndpointSource
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "gated";

        public void Release() => _released.TrySetResult();

        public async ValueTask<IReadOnlyList<LoadBalancedEndpoint>> GetEndpointsAsync(CancellationToken cancellationToken)
        {
            await _released.Task.WaitAsync(cancellationToken);
            return endpoints;
        }

        public IChangeToken? GetChangeToken() => null;
    }
}
