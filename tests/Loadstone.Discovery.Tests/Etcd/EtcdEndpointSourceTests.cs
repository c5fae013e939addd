using Loadstone.Discovery.Etcd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Loadstone.Tests;
using Microsoft.Extensions.Logging.Testing;

namespace Loadstone.Discovery.Tests.Etcd;

/// <summary>The etcd source against a real etcd: the first read, the watch, rejected values, compaction and reconnects.</summary>
public sealed class EtcdEndpointSourceTests : IAsyncLifetime
{
    private readonly FakeLogCollector _logs = new();
    private readonly string _prefix = $"/services/catalog-{Guid.NewGuid():N}/";
    private EtcdServer _etcd = null!;

    public async Task InitializeAsync() => _etcd = await EtcdServer.StartAsync();

    public async Task DisposeAsync() => await _etcd.DisposeAsync();

    [Fact]
    public async Task GetEndpointsAsync_ValidAndBadValues_BadOnesRejectedPerKeyAndTheRestApplies()
    {
        await _etcd.PutEndpointAsync(_prefix + "a", "http://10.0.0.1:8080", weight: 3, zone: "eu-west-1a");
        await _etcd.PutAsync(_prefix + "b", "{not json");
        await _etcd.PutAsync(_prefix + "c", """{"zone":"eu-west-1b"}""");
        await _etcd.PutAsync(_prefix + "d", """{"address":"http://10.0.0.4:8080","weight":20000}""");
        await _etcd.PutAsync(_prefix + "e", """{"Address":"http://10.0.0.5:8080","Metadata":{"version":"1.2"},"name":"api","hostName":"e.catalog.test","extra":true}""");
        await _etcd.PutEndpointAsync(_prefix[..^1] + "-v2/x", "http://10.0.0.9:8080");
        await using var source = Create();

        var endpoints = await source.GetEndpointsAsync(CancellationToken.None);

        Assert.Equal(["http://10.0.0.1:8080", "http://10.0.0.5:8080"], endpoints.Select(e => e.Id));
        Assert.Equal(3, endpoints[0].Weight);
        Assert.Equal("eu-west-1a", endpoints[0].Zone);
        Assert.Equal("1.2", endpoints[1].Metadata["version"]);
        Assert.Equal("api", endpoints[1].Name);
        Assert.Equal("e.catalog.test", endpoints[1].HostName);
        var rejected = _logs.Entries.Where(e => e.Id.Id == 1322).Select(e => e.Message).ToList();
        Assert.Equal(3, rejected.Count);
        Assert.Contains(rejected, m => m.Contains($"key '{_prefix}b': not a JSON endpoint document", StringComparison.Ordinal) && m.EndsWith("the key is left out.", StringComparison.Ordinal));
        Assert.Contains(rejected, m => m.Contains($"key '{_prefix}c': it has no \"address\"", StringComparison.Ordinal));
        Assert.Contains(rejected, m => m.Contains($"key '{_prefix}d':", StringComparison.Ordinal) && m.Contains("10000", StringComparison.Ordinal));
        Assert.Contains(_logs.Entries, e => e.Id.Id == 1320 && e.Message.Contains("read 2 endpoints", StringComparison.Ordinal) && e.Message.Contains("(3 values rejected)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Watch_PutUpdateBadValueAndDelete_EachChangeArrivesAndABadValueKeepsTheKeysLastGoodOne()
    {
        await _etcd.PutEndpointAsync(_prefix + "a", "http://10.0.0.1:8080");
        await using var source = Create();
        await source.GetEndpointsAsync(CancellationToken.None);

        var added = await ChangeAsync(source, () => _etcd.PutEndpointAsync(_prefix + "b", "http://10.0.0.2:8080"));
        Assert.Equal(["http://10.0.0.1:8080", "http://10.0.0.2:8080"], added.Select(e => e.Id));

        var reweighted = await ChangeAsync(source, () => _etcd.PutEndpointAsync(_prefix + "b", "http://10.0.0.2:8080", weight: 5));
        Assert.Equal([1, 5], reweighted.Select(e => e.Weight));

        // A bad value for b keeps b's last good value: nothing changes, so nothing is published; the next good change is.
        var revision = await _etcd.PutAsync(_prefix + "b", "garbage");
        await Eventually.TrueAsync(() => source.Revision >= revision, "the watch to pass the bad value's revision");
        Assert.Same(reweighted, await source.GetEndpointsAsync(CancellationToken.None));
        Assert.Contains(_logs.Entries, e => e.Id.Id == 1322 && e.Message.Contains($"'{_prefix}b'", StringComparison.Ordinal) && e.Message.EndsWith("the key keeps its last good value.", StringComparison.Ordinal));

        var removed = await ChangeAsync(source, () => _etcd.DeleteAsync(_prefix + "a"));
        Assert.Equal(["http://10.0.0.2:8080"], removed.Select(e => e.Id));
    }

    [Fact]
    public async Task Watch_TwoKeysWithOneAddress_TheSecondIsLeftOutAndLoggedOnce()
    {
        await _etcd.PutEndpointAsync(_prefix + "a", "http://10.0.0.1:8080");
        await using var source = Create();
        await source.GetEndpointsAsync(CancellationToken.None);

        var revision = await _etcd.PutEndpointAsync(_prefix + "b", "http://10.0.0.1:8080");
        await Eventually.TrueAsync(() => source.Revision >= revision, "the watch to see key b");
        await ChangeAsync(source, () => _etcd.PutEndpointAsync(_prefix + "c", "http://10.0.0.3:8080"));

        Assert.Equal(["http://10.0.0.1:8080", "http://10.0.0.3:8080"], (await source.GetEndpointsAsync(CancellationToken.None)).Select(e => e.Id));
        var duplicate = Assert.Single(_logs.Entries, e => e.Id.Id == 1322);
        Assert.Contains($"key '{_prefix}b': its address http://10.0.0.1:8080 is already registered by key '{_prefix}a'", duplicate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_HistoryCompactedBeforeTheWatchStarts_ResyncsFromAFreshReadWithoutDroppingTheSet()
    {
        await _etcd.PutEndpointAsync(_prefix + "a", "http://10.0.0.1:8080");
        await _etcd.PutEndpointAsync(_prefix + "b", "http://10.0.0.2:8080");
        await using var source = Create();
        var first = true;
        source.AfterRangeRead = async () =>
        {
            if (first)
            {
                // Changes the watch would have had to replay, then compaction removes them from the history.
                first = false;
                await _etcd.DeleteAsync(_prefix + "a");
                await _etcd.PutEndpointAsync(_prefix + "c", "http://10.0.0.3:8080");
                await _etcd.CompactAsync();
            }
        };
        var initial = await source.GetEndpointsAsync(CancellationToken.None);
        Assert.Equal(["http://10.0.0.1:8080", "http://10.0.0.2:8080"], initial.Select(e => e.Id));
        var changed = source.GetChangeToken();

        await Eventually.TrueAsync(() => changed.HasChanged, "the resync to publish the current set");

        Assert.Equal(["http://10.0.0.2:8080", "http://10.0.0.3:8080"], (await source.GetEndpointsAsync(CancellationToken.None)).Select(e => e.Id));
        Assert.Equal(1, source.Resyncs);
        Assert.Single(_logs.Entries, e => e.Id.Id == 1323 && e.Level == LogLevel.Warning);
        Assert.Equal(2, _logs.Entries.Count(e => e.Id.Id == 1320));

        // And the new watch works.
        var later = await ChangeAsync(source, () => _etcd.PutEndpointAsync(_prefix + "d", "http://10.0.0.4:8080"));
        Assert.Equal(3, later.Count);
    }

    [Fact]
    public async Task Watch_EtcdKilledAndRestarted_KeepsTheLastGoodSetThenReadsAgainAndWatchesOn()
    {
        await _etcd.PutEndpointAsync(_prefix + "a", "http://10.0.0.1:8080");
        await using var source = Create();
        var good = await source.GetEndpointsAsync(CancellationToken.None);
        Assert.Equal(TimeSpan.Zero, source.Staleness);

        _etcd.Kill();
        await Eventually.TrueAsync(() => _logs.Entries.Any(e => e.Id.Id == 1324), "the source to notice the lost connection");
        Assert.True(source.Staleness > TimeSpan.Zero);
        Assert.Same(good, await source.GetEndpointsAsync(CancellationToken.None));

        await _etcd.RestartAsync();
        await Eventually.TrueAsync(() => source.Staleness == TimeSpan.Zero, "the source to read the prefix again", TimeSpan.FromSeconds(15));
        var later = await ChangeAsync(source, () => _etcd.PutEndpointAsync(_prefix + "b", "http://10.0.0.2:8080"));

        Assert.Equal(2, later.Count);
        Assert.True(source.Resyncs >= 1);
        Assert.Single(_logs.Entries, e => e.Id.Id == 1326);
    }

    [Fact]
    public async Task GetEndpointsAsync_EtcdDownAtStart_ThrowsThenTheTokenFiresOnceItIsUp()
    {
        await _etcd.PutEndpointAsync(_prefix + "a", "http://10.0.0.1:8080");
        _etcd.Kill();
        await using var source = Create();
        var changed = source.GetChangeToken();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetEndpointsAsync(CancellationToken.None).AsTask());
        Assert.StartsWith($"etcd source 'etcd:{_prefix}' of service 'catalog' has not read its prefix yet:", error.Message, StringComparison.Ordinal);
        Assert.Null(source.Staleness);

        await _etcd.RestartAsync();
        await Eventually.TrueAsync(() => changed.HasChanged, "the first read after etcd came up", TimeSpan.FromSeconds(15));
        Assert.Single(await source.GetEndpointsAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Watch_LastKeyDeleted_EmptySetPublishedOnlyWhenAllowed(bool allowsEmpty)
    {
        await _etcd.PutEndpointAsync(_prefix + "a", "http://10.0.0.1:8080");
        await using var source = Create(o => o.AllowsEmpty = allowsEmpty);
        await source.GetEndpointsAsync(CancellationToken.None);

        var emptied = await ChangeAsync(source, () => _etcd.DeleteAsync(_prefix + "a"));

        // The source reports what etcd holds; the pool accepts an empty set only from a source that allows it.
        Assert.Empty(emptied);
        Assert.Equal(allowsEmpty, source.AllowsEmpty);
    }

    [Fact]
    public async Task Metrics_UpdatesRejectionsResyncsAndStaleness_ReportedWithServiceAndSourceTags()
    {
        using var metrics = new MetricRecorder("catalog-etcd-metrics");
        await _etcd.PutEndpointAsync(_prefix + "a", "http://10.0.0.1:8080");
        await _etcd.PutAsync(_prefix + "b", "bad");
        var options = new EtcdDiscoveryOptions { Prefix = _prefix, RetryDelay = TimeSpan.FromMilliseconds(100) };
        options.Endpoints.Add(_etcd.ClientUrl);
        await using var source = new EtcdEndpointSource("catalog-etcd-metrics", options, _logs.CreateFactory());
        await source.GetEndpointsAsync(CancellationToken.None);
        await ChangeAsync(source, () => _etcd.PutEndpointAsync(_prefix + "c", "http://10.0.0.3:8080"));

        metrics.Observe();
        Assert.Equal(2, metrics.Sum("loadstone.discovery.etcd.updates"));
        Assert.Equal(1, metrics.Sum("loadstone.discovery.etcd.rejections"));
        Assert.Equal(0, metrics.Sum("loadstone.discovery.etcd.staleness"));
        Assert.All(metrics.Measurements, m => Assert.Equal($"etcd:{_prefix}", m.Tags["loadstone.discovery.source"]));

        _etcd.Kill();
        await Eventually.TrueAsync(() => metrics.Sum("loadstone.discovery.etcd.resyncs") >= 1, "a resync to be counted");
        await Task.Delay(100);
        metrics.Observe();
        Assert.Contains(metrics.Measurements, m => m.Instrument == "loadstone.discovery.etcd.staleness" && m.Value > 0);
        Assert.Contains(metrics.Measurements, m => m.Instrument == "loadstone.discovery.etcd.resyncs" && Equals(m.Tags["loadstone.discovery.reason"], "disconnected"));
    }

    [Fact]
    public async Task DisposeAsync_StopsTheWatch()
    {
        var source = Create();
        await source.GetEndpointsAsync(CancellationToken.None);
        var changed = source.GetChangeToken();

        await source.DisposeAsync();
        var revision = await _etcd.PutEndpointAsync(_prefix + "a", "http://10.0.0.1:8080");
        await Task.Delay(200);

        Assert.False(changed.HasChanged);
        Assert.True(source.Revision < revision);
    }

    private EtcdEndpointSource Create(Action<EtcdDiscoveryOptions>? configure = null)
    {
        var options = new EtcdDiscoveryOptions { Prefix = _prefix, RetryDelay = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromMilliseconds(500) };
        options.Endpoints.Add(_etcd.ClientUrl);
        configure?.Invoke(options);
        return new EtcdEndpointSource("catalog", options, _logs.CreateFactory());
    }

    private static async Task<IReadOnlyList<LoadBalancedEndpoint>> ChangeAsync(EtcdEndpointSource source, Func<Task> change)
    {
        IChangeToken token = source.GetChangeToken();
        await change();
        await Eventually.TrueAsync(() => token.HasChanged, "the source's change token to fire");
        return await source.GetEndpointsAsync(CancellationToken.None);
    }
}
