using System.Diagnostics;
using Loadstone.Tests;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Loadstone.Discovery.Tests.Etcd;

/// <summary>
/// Real instance processes register themselves in a real etcd; a client balances over them through the handler and
/// the etcd source. Graceful stops drain, killed processes leave when their lease expires, and an etcd outage leaves
/// traffic on the last good set. Every test is bounded in requests and time.
/// </summary>
public sealed class EtcdRegistrationIntegrationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int LeaseTtlSeconds = 2;
    private readonly string _prefix = $"/services/catalog-{Guid.NewGuid():N}/";
    private readonly List<InstanceProcess> _instances = [];
    private EtcdServer _etcd = null!;

    public async Task InitializeAsync() => _etcd = await EtcdServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        await _etcd.DisposeAsync();
    }

    [Fact]
    public async Task RegisteredInstances_ReceiveTraffic_AndOneStoppedGracefullyDrainsWithNoFailedRequest()
    {
        var (a, b) = (await StartInstanceAsync("a"), await StartInstanceAsync("b"));
        await using var client = await ClientAsync(retries: false, expected: 2);

        // Both registered instances get traffic.
        var warmUp = await client.RunAsync(TimeSpan.FromMilliseconds(500), maxRequests: 400);
        Assert.Equal(0, warmUp.Failed);
        Assert.True(warmUp.By("a") > 0 && warmUp.By("b") > 0, $"a: {warmUp.By("a")}, b: {warmUp.By("b")}");

        // a is told to stop while requests flow; with retries off, any request sent to a stopped instance would fail.
        var load = client.RunUntilAsync(() => a.HasExited, TimeSpan.FromSeconds(20), maxRequests: 20_000, after: TimeSpan.FromMilliseconds(300));
        await Task.Delay(300);
        var terminatedAt = Stopwatch.GetTimestamp();
        a.Terminate();
        var result = await load;

        var leftAfter = client.LeftAfter(a.Address, terminatedAt);
        var lastAttempt = client.LastAttemptAfter(a.Address, terminatedAt);
        output.WriteLine($"requests {result.Total}, answers from a after SIGTERM {result.ByAfter("a", terminatedAt)}, a left the pool {leftAfter.TotalMilliseconds:F0} ms after SIGTERM, last attempt to a {lastAttempt?.TotalMilliseconds:F0} ms after");
        Assert.True(a.HasExited);
        Assert.Equal(0, result.Failed);
        Assert.Equal(0, client.FailedAttempts);
        Assert.True(result.By("b") > 0);
        Assert.Equal([b.Address], client.Members());

        // The pool dropped a before a stopped listening, and sent it nothing after that.
        Assert.True(leftAfter < TimeSpan.FromSeconds(1), $"a left the pool {leftAfter} after SIGTERM.");
        Assert.True(lastAttempt is null || lastAttempt <= leftAfter, $"last attempt to a {lastAttempt} after SIGTERM, but it left the pool {leftAfter} after.");
    }

    [Fact]
    public async Task KilledInstance_LeavesWithinTheLeaseTtlPlusOneSecond_AndRetriesKeepFailedRequestsAtZero()
    {
        var (a, b) = (await StartInstanceAsync("a"), await StartInstanceAsync("b"));
        await using var client = await ClientAsync(retries: true, expected: 2);

        var load = client.RunUntilAsync(() => !client.Members().Contains(a.Address), TimeSpan.FromSeconds(15), maxRequests: 20_000, after: TimeSpan.FromMilliseconds(500));
        await Task.Delay(300);
        var killedAt = Stopwatch.GetTimestamp();
        a.Kill();
        var result = await load;
        var leftAfter = client.LeftAfter(a.Address, killedAt);

        var lastAttempt = client.LastAttemptAfter(a.Address, killedAt);
        output.WriteLine($"requests {result.Total}, failed attempts {client.FailedAttempts}, a left the pool {leftAfter.TotalMilliseconds:F0} ms after the kill, last attempt to a {lastAttempt?.TotalMilliseconds:F0} ms after");
        Assert.Equal(0, result.Failed);
        Assert.True(leftAfter <= TimeSpan.FromSeconds(LeaseTtlSeconds + 1), $"a left the pool {leftAfter} after the kill.");
        Assert.True(lastAttempt is null || lastAttempt <= TimeSpan.FromSeconds(LeaseTtlSeconds + 1), $"last attempt to a {lastAttempt} after the kill.");
        Assert.Equal([b.Address], client.Members());
    }

    [Fact]
    public async Task EtcdDownForTenSeconds_TrafficContinuesOnTheLastGoodSet_AndUpdatesResumeAfterRestart()
    {
        await StartInstanceAsync("a");
        await StartInstanceAsync("b");
        await using var client = await ClientAsync(retries: false, expected: 2);

        _etcd.Kill();
        var outage = await client.RunAsync(TimeSpan.FromSeconds(10), maxRequests: 1_500, pause: TimeSpan.FromMilliseconds(50));
        Assert.True(client.Staleness >= TimeSpan.FromSeconds(9), $"The source's watch should have been down for the whole run; staleness {client.Staleness}.");
        Assert.True(outage.Duration >= TimeSpan.FromSeconds(10) && outage.Total < 1_500, $"{outage.Total} requests in {outage.Duration}: the load should span the outage.");
        Assert.Equal(0, outage.Failed);
        Assert.True(outage.By("a") > 0 && outage.By("b") > 0, $"a: {outage.By("a")}, b: {outage.By("b")}");
        Assert.Equal(2, client.Members().Length);

        await _etcd.RestartAsync();
        await using var c = await TestBackend.StartAsync("c");
        await _etcd.PutEndpointAsync(_prefix + "c", c.Address.ToString().TrimEnd('/'));
        await Eventually.TrueAsync(() => client.Members().Length == 3, "the pool to see the key put after the restart", TimeSpan.FromSeconds(15));
        var after = await client.RunAsync(TimeSpan.FromSeconds(2), maxRequests: 60);

        output.WriteLine($"during the outage: {outage.Total} requests in {outage.Duration.TotalSeconds:F1} s, after: {after.Total}");
        Assert.Equal(0, after.Failed);
        Assert.True(c.RequestCount > 0);
    }

    private async Task<InstanceProcess> StartInstanceAsync(string name)
    {
        var instance = await InstanceProcess.StartAsync(name, _etcd, _prefix, LeaseTtlSeconds, drainMilliseconds: 1_000);
        _instances.Add(instance);
        return instance;
    }

    private async Task<LoadClient> ClientAsync(bool retries, int expected)
    {
        var client = new LoadClient(_etcd.ClientUrl, _prefix, retries);
        await Eventually.TrueAsync(() => client.Members().Length == expected, $"the pool to have {expected} endpoints");
        return client;
    }
}
