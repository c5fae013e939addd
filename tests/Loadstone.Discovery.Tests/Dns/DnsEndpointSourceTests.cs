using Loadstone.Discovery.Dns;
using Loadstone.Tests;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Discovery.Tests.Dns;

/// <summary>
/// The DNS source against a real dnsmasq, with refreshes driven by a manual clock: what a lookup finds, when the next
/// one comes, and what is kept when lookups fail.
/// </summary>
public sealed class DnsEndpointSourceTests : IAsyncLifetime
{
    private static readonly string[] s_twoTargets =
    [
        "srv-host=_http._tcp.catalog.test,n1.test,8081,10,3",
        "srv-host=_http._tcp.catalog.test,n2.test,8082,10,1",
        "srv-host=_http._tcp.catalog.test,n3.test,8083,20,5",
        "host-record=n1.test,127.0.0.1",
        "host-record=n2.test,127.0.0.2",
        "host-record=n3.test,127.0.0.3",
    ];

    private static readonly string[] s_threeTargets =
    [
        "srv-host=_http._tcp.catalog.test,n4.test,8084,0,0",
        "srv-host=_http._tcp.catalog.test,n5.test,8085,0,1",
        "srv-host=_http._tcp.catalog.test,n6.test,8086,0,2",
        "host-record=n4.test,127.0.0.4",
        "host-record=n5.test,127.0.0.5",
        "host-record=n6.test,127.0.0.6",
    ];

    private readonly FakeTimeProvider _clock = new();
    private readonly FakeLogCollector _logs = new();
    private DnsmasqServer _dns = null!;

    public async Task InitializeAsync() => _dns = await DnsmasqServer.StartAsync(s_twoTargets, ttl: 5);

    public async Task DisposeAsync() => await _dns.DisposeAsync();

    [Fact]
    public async Task GetEndpointsAsync_SrvRecords_LowestPriorityGroupWithMappedWeightsAndTargetNames()
    {
        await using var source = Create(o => o.SrvName = "_http._tcp.catalog.test");

        var endpoints = await source.GetEndpointsAsync(CancellationToken.None);

        Assert.Equal(["http://127.0.0.1:8081", "http://127.0.0.2:8082"], endpoints.Select(e => e.Id));
        Assert.Equal([3, 1], endpoints.Select(e => e.Weight));
        Assert.Equal(["n1.test", "n2.test"], endpoints.Select(e => e.HostName));
        Assert.Equal(["10", "10"], endpoints.Select(e => e.Metadata[DnsMetadata.SrvPriority]));
        Assert.Equal(["3", "1"], endpoints.Select(e => e.Metadata[DnsMetadata.SrvWeight]));
        Assert.Equal("dns-srv:_http._tcp.catalog.test", source.Name);
    }

    [Fact]
    public async Task GetEndpointsAsync_LowestGroupHasNoAddresses_NextGroupIsServedAndTheSkippedRecordsLogged()
    {
        await _dns.RestartAsync(
        [
            "srv-host=_http._tcp.catalog.test,gone.test,8081,10,1",
            "srv-host=_http._tcp.catalog.test,n3.test,8083,20,5",
            "host-record=n3.test,127.0.0.3",
        ]);
        await using var source = Create(o => o.SrvName = "_http._tcp.catalog.test");

        var endpoints = await source.GetEndpointsAsync(CancellationToken.None);

        Assert.Equal("http://127.0.0.3:8083", Assert.Single(endpoints).Id);
        var log = Assert.Single(_logs.Entries, e => e.Id.Id == 1305);
        Assert.Contains("target gone.test:8081 has no A/AAAA records", log.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetEndpointsAsync_SrvRecordWithPort0_SkippedAndLoggedTheOthersServed()
    {
        await _dns.RestartAsync(
        [
            "srv-host=_http._tcp.catalog.test,n1.test,0,10,1",
            "srv-host=_http._tcp.catalog.test,n2.test,8082,10,1",
            "host-record=n1.test,127.0.0.1",
            "host-record=n2.test,127.0.0.2",
        ]);
        await using var source = Create(o => o.SrvName = "_http._tcp.catalog.test");

        var endpoints = await source.GetEndpointsAsync(CancellationToken.None);

        Assert.Equal("http://127.0.0.2:8082", Assert.Single(endpoints).Id);
        var log = Assert.Single(_logs.Entries, e => e.Id.Id == 1305);
        Assert.Contains("SRV _http._tcp.catalog.test target n1.test has port 0", log.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 60, 5)]
    [InlineData(10, 60, 10)]
    [InlineData(1, 2, 2)]
    public async Task Refresh_RecordTtl_SchedulesTheNextLookupWithinTheBounds(int minSeconds, int maxSeconds, int expectedSeconds)
    {
        await using var source = Create(o =>
        {
            o.SrvName = "_http._tcp.catalog.test";
            o.MinRefreshInterval = TimeSpan.FromSeconds(minSeconds);
            o.MaxRefreshInterval = TimeSpan.FromSeconds(maxSeconds);
        });
        await source.GetEndpointsAsync(CancellationToken.None);
        await WaitScheduledAsync(source, 1);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), source.NextDelay);

        // Nothing is asked before the interval ends, and one lookup is asked when it does.
        _clock.Advance(TimeSpan.FromSeconds(expectedSeconds) - TimeSpan.FromMilliseconds(1));
        await Task.Delay(50);
        Assert.Equal(1, source.Lookups);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await WaitScheduledAsync(source, 2);
        Assert.Equal(2, source.Lookups);
    }

    [Fact]
    public async Task Refresh_RecordSetGoesTwoToZeroToThree_EmptyPublishedAndRecoveryWithinOneRefreshInterval()
    {
        await using var source = Create(o =>
        {
            o.SrvName = "_http._tcp.catalog.test";
            o.AllowsEmpty = true;
        });
        Assert.Equal(2, (await source.GetEndpointsAsync(CancellationToken.None)).Count);
        await WaitScheduledAsync(source, 1);
        Assert.True(source.AllowsEmpty);

        // Scaled to zero: the name is gone (NXDOMAIN). The next lookup, one TTL (5 s) later, publishes the empty set.
        await _dns.RestartAsync([]);
        var changed = source.GetChangeToken();
        _clock.Advance(TimeSpan.FromSeconds(5));
        await WaitForAsync(changed);
        Assert.Empty(await source.GetEndpointsAsync(CancellationToken.None));
        await WaitScheduledAsync(source, 2);
        Assert.Equal(TimeSpan.FromSeconds(1), source.NextDelay); // No SOA, no negative TTL: the minimum interval.

        // Three instances appear: they are found at the next lookup, one minimum refresh interval later.
        await _dns.RestartAsync(s_threeTargets);
        changed = source.GetChangeToken();
        _clock.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(changed);
        var endpoints = await source.GetEndpointsAsync(CancellationToken.None);
        Assert.Equal(["http://127.0.0.6:8086", "http://127.0.0.5:8085", "http://127.0.0.4:8084"], endpoints.Select(e => e.Id));
        Assert.Equal([10_000, 5_000, 1], endpoints.Select(e => e.Weight)); // SRV weights 2, 1 and 0.
        Assert.Equal(3, source.Lookups);
        Assert.Contains(_logs.Entries, e => e.Id.Id == 1301);
    }

    [Fact]
    public async Task Refresh_NxdomainWithoutAllowsEmpty_KeepsTheLastGoodSetAndBacksOffExponentially()
    {
        await using var source = Create(o => o.SrvName = "_http._tcp.catalog.test");
        var good = await source.GetEndpointsAsync(CancellationToken.None);
        await WaitScheduledAsync(source, 1);
        var changed = source.GetChangeToken();

        await _dns.RestartAsync([]);
        _clock.Advance(TimeSpan.FromSeconds(5));
        await WaitScheduledAsync(source, 2);
        Assert.Equal(TimeSpan.FromSeconds(1), source.NextDelay);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await WaitScheduledAsync(source, 3);
        Assert.Equal(TimeSpan.FromSeconds(2), source.NextDelay);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await WaitScheduledAsync(source, 4);
        Assert.Equal(TimeSpan.FromSeconds(4), source.NextDelay);

        Assert.False(changed.HasChanged);
        Assert.Same(good, await source.GetEndpointsAsync(CancellationToken.None));
        Assert.Equal(TimeSpan.FromSeconds(8), source.Staleness);
        Assert.Single(_logs.Entries, e => e.Id.Id == 1302 && e.Level == LogLevel.Warning);
        Assert.Equal(2, _logs.Entries.Count(e => e.Id.Id == 1303));

        // Answers again: published at the next try, and the back-off starts over.
        await _dns.RestartAsync(s_threeTargets);
        _clock.Advance(TimeSpan.FromSeconds(4));
        await WaitForAsync(changed);
        Assert.Equal(3, (await source.GetEndpointsAsync(CancellationToken.None)).Count);
        await WaitScheduledAsync(source, 5);
        Assert.Equal(TimeSpan.FromSeconds(5), source.NextDelay);
        Assert.Equal(TimeSpan.Zero, source.Staleness);
        Assert.Single(_logs.Entries, e => e.Id.Id == 1304);
    }

    [Fact]
    public async Task Refresh_NameServerDown_KeepsTheLastGoodSetUntilItAnswersAgain()
    {
        await using var source = Create(o =>
        {
            o.SrvName = "_http._tcp.catalog.test";
            o.QueryTimeout = TimeSpan.FromMilliseconds(300);
        });
        var good = await source.GetEndpointsAsync(CancellationToken.None);
        await WaitScheduledAsync(source, 1);
        var changed = source.GetChangeToken();

        _dns.Stop();
        _clock.Advance(TimeSpan.FromSeconds(5));
        await WaitScheduledAsync(source, 2);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await WaitScheduledAsync(source, 3);

        Assert.False(changed.HasChanged);
        Assert.Same(good, await source.GetEndpointsAsync(CancellationToken.None));
        var failure = Assert.Single(_logs.Entries, e => e.Id.Id == 1302);
        Assert.Contains("SRV _http._tcp.catalog.test", failure.Message, StringComparison.Ordinal);

        await _dns.RestartAsync(s_twoTargets);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await WaitScheduledAsync(source, 4);
        Assert.Equal(TimeSpan.Zero, source.Staleness);
        Assert.False(changed.HasChanged); // Same answer as before the outage: nothing to tell the pool.
        Assert.Single(_logs.Entries, e => e.Id.Id == 1304);
    }

    [Fact]
    public async Task GetEndpointsAsync_FirstLookupFails_ThrowsAndTheTokenFiresOnceAnAnswerComes()
    {
        await _dns.RestartAsync([]);
        await using var source = Create(o => o.SrvName = "_http._tcp.catalog.test");
        var changed = source.GetChangeToken();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetEndpointsAsync(CancellationToken.None).AsTask());
        Assert.Equal("DNS source 'dns-srv:_http._tcp.catalog.test' of service 'catalog' has no answer yet: SRV _http._tcp.catalog.test: no records", error.Message);

        await WaitScheduledAsync(source, 1);
        await _dns.RestartAsync(s_twoTargets);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(changed);
        Assert.Equal(2, (await source.GetEndpointsAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task GetEndpointsAsync_HostNameWithSearchDomain_AddressRecordsWithThePortAndTheFullName()
    {
        await _dns.RestartAsync(["host-record=catalog.ns.test,127.0.0.7,::7", "host-record=catalog.test,127.0.0.9"]);
        await using var source = Create(o =>
        {
            o.HostName = "catalog";
            o.Port = 9000;
            o.SearchDomains.Add("ns.test");
            o.Scheme = "https";
        });

        var endpoints = await source.GetEndpointsAsync(CancellationToken.None);

        Assert.Equal(["https://127.0.0.7:9000", "https://[::7]:9000"], endpoints.Select(e => e.Id));
        Assert.All(endpoints, e => Assert.Equal("catalog.ns.test", e.HostName));
        Assert.All(endpoints, e => Assert.Equal(1, e.Weight));
        Assert.Equal("dns:catalog:9000", source.Name);
    }

    [Theory]
    [InlineData(DnsAddressFamily.IPv4, "http://127.0.0.7:9000")]
    [InlineData(DnsAddressFamily.IPv6, "http://[::7]:9000")]
    public async Task GetEndpointsAsync_AddressFamily_OnlyThoseRecordsAreAskedFor(DnsAddressFamily family, string expected)
    {
        await _dns.RestartAsync(["host-record=catalog.test,127.0.0.7,::7"]);
        await using var source = Create(o =>
        {
            o.HostName = "catalog.test";
            o.Port = 9000;
            o.AddressFamily = family;
            o.Zone = "eu-west-1a";
        });

        var endpoint = Assert.Single(await source.GetEndpointsAsync(CancellationToken.None));

        Assert.Equal(expected, endpoint.Id);
        Assert.Equal("eu-west-1a", endpoint.Zone);
    }

    [Fact]
    public async Task Metrics_UpdatesFailuresRejectionsAndStaleness_ReportedWithServiceAndSourceTags()
    {
        using var metrics = new MetricRecorder("catalog-dns-metrics");
        await _dns.RestartAsync([.. s_twoTargets, "srv-host=_http._tcp.catalog.test,gone.test,8089,10,1"]);
        var options = new DnsDiscoveryOptions { NameServer = _dns.NameServer, SrvName = "_http._tcp.catalog.test" };
        await using var source = new DnsEndpointSource("catalog-dns-metrics", options, _logs.CreateFactory(), _clock);
        await source.GetEndpointsAsync(CancellationToken.None);
        await WaitScheduledAsync(source, 1);

        await _dns.RestartAsync([]);
        _clock.Advance(TimeSpan.FromSeconds(5));
        await WaitScheduledAsync(source, 2);
        metrics.Observe();

        Assert.Equal(1, metrics.Sum("loadstone.discovery.dns.updates"));
        Assert.Equal(1, metrics.Sum("loadstone.discovery.dns.rejections"));
        var failure = Assert.Single(metrics.Measurements, m => m.Instrument == "loadstone.discovery.dns.failures");
        Assert.Equal("empty", failure.Tags["error.type"]);
        Assert.Equal(5, Assert.Single(metrics.Measurements, m => m.Instrument == "loadstone.discovery.dns.staleness").Value);
        Assert.All(metrics.Measurements, m => Assert.Equal("dns-srv:_http._tcp.catalog.test", m.Tags["loadstone.discovery.source"]));
    }

    [Fact]
    public async Task DisposeAsync_StopsLookupsAndLeavesNoTimer()
    {
        var source = Create(o => o.SrvName = "_http._tcp.catalog.test");
        await source.GetEndpointsAsync(CancellationToken.None);
        await WaitScheduledAsync(source, 1);

        await source.DisposeAsync();
        _clock.Advance(TimeSpan.FromHours(1));
        await Task.Delay(50);

        Assert.Equal(1, source.Lookups);
        Assert.Equal(1, source.Scheduled);
    }

    private DnsEndpointSource Create(Action<DnsDiscoveryOptions> configure)
    {
        var options = new DnsDiscoveryOptions { NameServer = _dns.NameServer };
        configure(options);
        return new DnsEndpointSource("catalog", options, _logs.CreateFactory(), _clock);
    }

    private static Task WaitScheduledAsync(DnsEndpointSource source, long count) =>
        Eventually.TrueAsync(() => source.Scheduled >= count, $"lookup {count} done and the next one scheduled");

    private static Task WaitForAsync(IChangeToken token) =>
        Eventually.TrueAsync(() => token.HasChanged, "the source's change token to fire");
}
