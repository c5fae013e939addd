using System.Diagnostics;
using System.Text;
using Etcdserverpb;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Xunit.Abstractions;

namespace Loadstone.Scaling.Etcd.Tests;

/// <summary>
/// The coordinator against a real etcd: exactly one copy leads; a resigning or lease-less leader is replaced; a
/// deposed leader's writes are refused by etcd; state round trips; load reports add up and leave with their lease.
/// </summary>
public sealed class EtcdScalingCoordinatorTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int LeaseTtlSeconds = 2;
    private readonly string _prefix = $"/loadstone/scaling/catalog-{Guid.NewGuid():N}/";
    private readonly List<EtcdScalingCoordinator> _coordinators = [];
    private EtcdServer _etcd = null!;

    public async Task InitializeAsync() => _etcd = await EtcdServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var coordinator in _coordinators)
        {
            await coordinator.DisposeAsync();
        }

        await _etcd.DisposeAsync();
    }

    private async Task<EtcdScalingCoordinator> StartAsync(string client, string? etcd = null)
    {
        var options = new EtcdScalingOptions
        {
            Prefix = _prefix,
            ClientId = client,
            LeaseTtl = TimeSpan.FromSeconds(LeaseTtlSeconds),
            ReportInterval = TimeSpan.FromMilliseconds(200),
            RetryDelay = TimeSpan.FromMilliseconds(100),
        };
        options.Endpoints.Add(etcd ?? _etcd.ClientUrl);
        var coordinator = new EtcdScalingCoordinator("catalog", options);
        _coordinators.Add(coordinator);
        await coordinator.StartAsync(CancellationToken.None);
        return coordinator;
    }

    private async Task<long> LeaseOfAsync(EtcdScalingCoordinator coordinator)
    {
        var kv = (await _etcd.KV.RangeAsync(new RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8(_prefix + "election/"), RangeEnd = Google.Protobuf.ByteString.CopyFromUtf8(_prefix + "election0") }))
            .Kvs.Single(k => k.Value.ToStringUtf8() == coordinator.ClientId);
        return kv.Lease;
    }

    [Fact]
    public async Task ThreeCopies_ExactlyOneLeads_TheFirstToCampaign()
    {
        var a = await StartAsync("a");
        await Eventually.TrueAsync(() => a.IsLeader, "a to lead");
        var b = await StartAsync("b");
        var c = await StartAsync("c");
        await Eventually.TrueAsync(async () => (await _etcd.KeysAsync(_prefix + "election/")).Length == 3, "three candidates");
        await Task.Delay(500); // b and c have caught up with the candidates

        Assert.Equal([true, false, false], new[] { a.IsLeader, b.IsLeader, c.IsLeader });
        Assert.NotEqual(0, a.Term);
        Assert.Equal(0, b.Term);
    }

    [Fact]
    public async Task LeaderResigns_TheNextCandidateLeadsAtOnce()
    {
        var a = await StartAsync("a");
        await Eventually.TrueAsync(() => a.IsLeader, "a to lead");
        var b = await StartAsync("b");
        await Eventually.TrueAsync(async () => (await _etcd.KeysAsync(_prefix + "election/")).Length == 2, "two candidates");

        var resigned = Stopwatch.StartNew();
        await a.StopAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => b.IsLeader, "b to lead");

        Assert.True(resigned.Elapsed < TimeSpan.FromSeconds(1), $"b led {resigned.Elapsed} after a resigned");
        Assert.False(a.IsLeader);
        Assert.True(b.Term > 0);
    }

    [Fact]
    public async Task LeaderLeaseRevoked_TheNextCandidateLeads_AndTheOldOneStops()
    {
        var a = await StartAsync("a");
        await Eventually.TrueAsync(() => a.IsLeader, "a to lead");
        var b = await StartAsync("b");
        await Eventually.TrueAsync(async () => (await _etcd.KeysAsync(_prefix + "election/")).Length == 2, "two candidates");

        await _etcd.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = await LeaseOfAsync(a) });

        await Eventually.TrueAsync(() => b.IsLeader && !a.IsLeader, "b to lead and a to stop");
        await Eventually.TrueAsync(async () => (await _etcd.KeysAsync(_prefix + "election/")).Length == 2, "a to campaign again under a new lease");
        Assert.False(a.IsLeader);
    }

    [Fact]
    public async Task LeaderCutOffFromEtcd_StopsLeadingBeforeAnotherCanLead()
    {
        await using var proxy = new TcpProxy(_etcd.ClientPort);
        var a = await StartAsync("a", proxy.Url);
        await Eventually.TrueAsync(() => a.IsLeader, "a to lead");
        var b = await StartAsync("b");
        await Eventually.TrueAsync(async () => (await _etcd.KeysAsync(_prefix + "election/")).Length == 2, "two candidates");
        long bLed = 0;
        var aLedWhenBStarted = true;
        using var watchB = ChangeToken.OnChange(b.GetChangeToken, () =>
        {
            if (b.IsLeader && Interlocked.CompareExchange(ref bLed, Stopwatch.GetTimestamp(), 0) == 0)
            {
                aLedWhenBStarted = a.IsLeader; // both in one process: read a's own answer at the moment b leads
            }
        });

        var partitioned = Stopwatch.GetTimestamp();
        proxy.Partition();

        await Eventually.TrueAsync(() => Interlocked.Read(ref bLed) != 0, "b to lead", TimeSpan.FromSeconds(LeaseTtlSeconds + 5));
        output.WriteLine($"b led {Stopwatch.GetElapsedTime(partitioned, bLed).TotalMilliseconds:F0} ms after the partition");
        Assert.False(aLedWhenBStarted, "a still claimed to lead when b started leading");
        Assert.True(Stopwatch.GetElapsedTime(partitioned, bLed) <= TimeSpan.FromSeconds(LeaseTtlSeconds + 1), $"b led {Stopwatch.GetElapsedTime(partitioned, bLed)} after the partition");
        Assert.False(a.IsLeader);
    }

    [Fact]
    public async Task DeposedLeader_AWritePreparedWhileLeading_IsRefusedByEtcdsFence()
    {
        var a = await StartAsync("a");
        await Eventually.TrueAsync(() => a.IsLeader, "a to lead");
        var term = a.Term;
        Assert.True(await a.WriteStateAsync(term, [ScalingStateChange.Put("group", "{\"v\":1}"u8.ToArray())], CancellationToken.None));
        var fence = a.Fence(term)!; // the condition a's next write carries

        await _etcd.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = await LeaseOfAsync(a) });
        var written = await a.CommitAsync(fence, [ScalingStateChange.Put("group", "{\"v\":2}"u8.ToArray())], CancellationToken.None);

        Assert.False(written);
        Assert.False(a.IsLeader);
        var reader = await StartAsync("reader");
        var state = await reader.ReadStateAsync(CancellationToken.None);
        Assert.Equal("{\"v\":1}", Encoding.UTF8.GetString(state["group"].Span));
    }

    [Fact]
    public async Task WriteState_ByTheLeader_IsReadBackAndWakesTheOtherCopies()
    {
        var a = await StartAsync("a");
        await Eventually.TrueAsync(() => a.IsLeader, "a to lead");
        var b = await StartAsync("b");
        await Task.Delay(300);
        var woken = 0;
        using var watch = ChangeToken.OnChange(b.GetChangeToken, () => Interlocked.Increment(ref woken));

        Assert.True(await a.WriteStateAsync(a.Term, [ScalingStateChange.Put("group", "{}"u8.ToArray()), ScalingStateChange.Put("activities/1", "[1]"u8.ToArray())], CancellationToken.None));
        Assert.True(await a.WriteStateAsync(a.Term, [ScalingStateChange.Delete("activities/1")], CancellationToken.None));
        Assert.False(await b.WriteStateAsync(a.Term, [ScalingStateChange.Put("group", "{\"b\":1}"u8.ToArray())], CancellationToken.None));

        await Eventually.TrueAsync(() => Volatile.Read(ref woken) > 0, "b to be woken by the state change");
        var state = await b.ReadStateAsync(CancellationToken.None);
        Assert.Equal(["group"], state.Keys);
        Assert.Equal("{}", Encoding.UTF8.GetString(state["group"].Span));
    }

    [Fact]
    public async Task LoadReports_EveryCopySeesTheFleetsSum_AndAClientDropsOutWithItsLease()
    {
        var a = await StartAsync("a");
        var b = await StartAsync("b");
        var endpoint = "http://10.0.0.1:8080";
        await Eventually.TrueAsync(() => a.PublishAsync(new BalancerReport(new Dictionary<string, EndpointLoad> { [endpoint] = new(3, 60, 10) }), CancellationToken.None), "a to publish");
        await Eventually.TrueAsync(() => b.PublishAsync(new BalancerReport(new Dictionary<string, EndpointLoad> { [endpoint] = new(5, 120, 40) }), CancellationToken.None), "b to publish");

        await Eventually.TrueAsync(() => a.FleetLoad.ReadLoad().GetValueOrDefault(endpoint).InFlightRequests == 8
            && b.FleetLoad.ReadLoad().GetValueOrDefault(endpoint).InFlightRequests == 8, "both copies to add up both reports");
        Assert.Equal(180, a.FleetLoad.ReadLoad()[endpoint].RequestsPerMinute);
        Assert.Equal(30, a.FleetLoad.ReadLoad()[endpoint].LatencyMilliseconds); // weighted by rate: (60·10 + 120·40) / 180

        await _etcd.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = await LeaseOfAsync(b) });
        await Eventually.TrueAsync(() => a.FleetLoad.ClientCount == 1, "b's report to leave with its lease");
        Assert.Equal(3, a.FleetLoad.ReadLoad()[endpoint].InFlightRequests);
    }

    [Fact]
    public async Task Deregister_ByTheLeader_DeletesTheInstancesKey_AndAFollowerCannot()
    {
        var a = await StartAsync("a");
        await Eventually.TrueAsync(() => a.IsLeader, "a to lead");
        var b = await StartAsync("b");
        await _etcd.PutEndpointAsync(a.InstancesPrefix + "web-1", "http://127.0.0.1:9");
        await using var group = new ScalingGroup("web", new ScalingGroupOptions(), new InMemoryInstanceLauncher());
        group.Start();
        var instance = group.Instances.Single(); // web-1

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await b.DeregisterAsync(instance, CancellationToken.None));
        await a.DeregisterAsync(instance, CancellationToken.None);

        Assert.Empty(await _etcd.KeysAsync(a.InstancesPrefix));
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingEverySetting()
    {
        var options = new EtcdScalingOptions { LeaseTtl = TimeSpan.FromSeconds(1), ReportInterval = TimeSpan.Zero, ClientId = "a b" };
        var error = Assert.Throws<OptionsValidationException>(() => new EtcdScalingCoordinator("catalog", options));

        Assert.Contains("Scaling group 'catalog': etcd coordination Endpoints is empty; list the etcd cluster's client URLs, e.g. http://10.0.0.10:2379.", error.Failures);
        Assert.Contains("Scaling group 'catalog': etcd coordination Prefix is missing; set the group's key prefix, e.g. /loadstone/scaling/catalog/.", error.Failures);
        Assert.Contains("Scaling group 'catalog': etcd coordination LeaseTtl is 00:00:01; it must be a whole number of seconds between 00:00:02 and 01:00:00.", error.Failures);
        Assert.Contains("Scaling group 'catalog': etcd coordination ReportInterval is 00:00:00; it must be between 00:00:00.1000000 and 00:05:00.", error.Failures);
        Assert.Contains("Scaling group 'catalog': etcd coordination ClientId is 'a b'; use letters, digits, '-', '_' and '.' only.", error.Failures);
    }
}
