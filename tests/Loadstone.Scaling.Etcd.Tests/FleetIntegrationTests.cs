using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace Loadstone.Scaling.Etcd.Tests;

/// <summary>
/// A real etcd, three real client processes each running the "catalog" group with etcd coordination, and the real
/// instance processes the leader launches (detached, registering themselves). Bounded: lease TTL 2 s, periods of 1 s,
/// every wait limited; every process is killed at the end, instances included (from their process id files).
/// </summary>
public sealed class FleetIntegrationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int LeaseTtlSeconds = 2;
    private readonly string _prefix = $"/loadstone/scaling/catalog-{Guid.NewGuid():N}/";
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("loadstone-fleet-");
    private readonly List<ClientProcess> _clients = [];
    private readonly List<TcpProxy> _proxies = [];
    private EtcdServer _etcd = null!;

    public async Task InitializeAsync() => _etcd = await EtcdServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        // The instances outlive their clients by design: the test stops them itself.
        foreach (var pidFile in _state.GetFiles("*.pid"))
        {
            if (int.TryParse(File.ReadAllText(pidFile.FullName).Split(' ')[0], out var pid))
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                    await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }

        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }

        await _etcd.DisposeAsync();
        try
        {
            _state.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp cleaner.
        }
    }

    [Fact]
    public async Task LeaderKilled_AnotherTakesOverWithinTheTtlPlusOneSecond_StateContinuous_ScalingOnTheFleetsLoad_NoFailedRequest()
    {
        var clients = await StartClientsAsync(3, proxied: false);
        var leader = await SingleLeaderAsync(clients, inService: 2);
        using var monitor = new LeaderMonitor(clients);

        // Load on every client: 4 workers each, 200 ms a request, about 12 in flight over 2 instances (6 each, target 4).
        // One client alone would see 2 per instance, below the target: only the fleet's sum scales out.
        foreach (var client in clients)
        {
            await client.LoadAsync(4, 200);
        }

        var scaledOut = await UntilStatusAsync(leader, s => s.DesiredCapacity == 3 && s.InService == 3, "the group to scale out to 3", TimeSpan.FromSeconds(40));
        output.WriteLine(string.Join(Environment.NewLine, scaledOut.Activities.Select(a => $"#{a.Id} {a.Kind} {a.Status} {a.InstanceId} — {a.Cause}")));
        var cause = scaledOut.Activities.First(a => a.Kind == "CapacityChange").Cause;
        Assert.Contains("target tracking policy 'in-flight' (AverageInFlightRequests", cause, StringComparison.Ordinal);
        Assert.Contains("on 2 instances", cause, StringComparison.Ordinal);

        // The leader dies (SIGKILL). Another client takes over within the lease TTL plus a second.
        var before = await UntilStatusAsync(leader, s => s.Activities.All(a => a.Status != "InProgress"), "the activities to settle", TimeSpan.FromSeconds(20));
        var killedAt = DateTimeOffset.UtcNow;
        leader.Kill();
        var survivors = clients.Where(c => c != leader).ToList();
        var (next, took) = await NextLeaderAsync(survivors, killedAt, TimeSpan.FromSeconds(LeaseTtlSeconds + 5));
        output.WriteLine($"leader {leader.Id} killed; {next.ClientId} elected {(next.ElectedAt!.Value - killedAt).TotalMilliseconds:F0} ms later, acting {took.TotalMilliseconds:F0} ms later");
        Assert.True(next.ElectedAt!.Value - killedAt <= TimeSpan.FromSeconds(LeaseTtlSeconds + 1), $"elected {next.ElectedAt - killedAt} after the kill");

        // Desired capacity and the activity history carry on; the instances are adopted, not launched again.
        Assert.Equal(before.DesiredCapacity, next.DesiredCapacity);
        Assert.Equal(before.Activities.Select(a => (a.Id, a.Kind, a.Status, a.InstanceId)), next.Activities.Take(before.Activities.Length).Select(a => (a.Id, a.Kind, a.Status, a.InstanceId)));
        Assert.Equal(before.Instances.Select(i => (i.Id, i.Endpoint)), next.Instances.Select(i => (i.Id, i.Endpoint)));

        // With the killed client's load gone (8 in flight over 3), the new leader scales in: deregister, drain, stop.
        var newLeader = survivors.Single(c => c.Id == next.ClientId);
        var scaledIn = await UntilStatusAsync(newLeader, s => s.DesiredCapacity == 2 && s.Instances.Length == 2 && s.Activities.All(a => a.Status != "InProgress"),
            "the new leader to scale in to 2 and stop the instance", TimeSpan.FromSeconds(40));
        Assert.True(scaledIn.Activities.Select(a => a.Id).SequenceEqual(Enumerable.Range((int)scaledIn.Activities[0].Id, scaledIn.Activities.Length).Select(i => (long)i)),
            "activity ids are continuous");

        foreach (var client in survivors)
        {
            await client.LoadAsync(0, 0);
        }

        // No instance launched or terminated twice for one decision: one launch (and at most one termination) per id,
        // one process registered per id, and the terminated instance's process is gone.
        var launches = scaledIn.Activities.Where(a => a.Kind == "Launch").ToList();
        var terminations = scaledIn.Activities.Where(a => a.Kind == "Terminate").ToList();
        output.WriteLine(string.Join(Environment.NewLine, scaledIn.Activities.Select(a => $"#{a.Id} {a.Kind} {a.Status} {a.InstanceId} — {a.Description}")));
        Assert.Equal(launches.Count, launches.Select(a => a.InstanceId).Distinct().Count());
        Assert.Equal(terminations.Count, terminations.Select(a => a.InstanceId).Distinct().Count());
        Assert.Single(terminations);
        Assert.All(launches, a => Assert.Equal("Successful", a.Status));
        Assert.Equal("Successful", terminations[0].Status);
        foreach (var log in _state.GetFiles("*.log"))
        {
            Assert.Equal(1, File.ReadLines(log.FullName).Count(l => l.Contains("Registered this instance as", StringComparison.Ordinal)));
        }

        Assert.Equal(launches.Count, _state.GetFiles("*.log").Length);
        Assert.False(File.Exists(Path.Combine(_state.FullName, terminations[0].InstanceId + ".pid")));

        // Instances kept serving through the failover: no failed request on the surviving clients (retries on).
        foreach (var client in survivors)
        {
            var results = await client.ResultsAsync();
            output.WriteLine($"{client.Id}: {results.Requests} requests, {results.Failed} failed {string.Join("; ", results.Failures)}");
            Assert.True(results.Requests > 50, $"{client.Id} sent only {results.Requests} requests");
            Assert.Equal(0, results.Failed);
        }

        Assert.True(monitor.MostLeadersSeen <= 1, $"{monitor.MostLeadersSeen} clients led at once");
    }

    [Fact]
    public async Task LeaderCutOffFromEtcd_StopsActingBeforeAnotherLeaderStarts_AndTrafficGoesOn()
    {
        var clients = await StartClientsAsync(3, proxied: true);
        var leader = await SingleLeaderAsync(clients, inService: 2);
        foreach (var client in clients)
        {
            await client.LoadAsync(2, 50);
        }

        await Task.Delay(500);
        var partitionedAt = DateTimeOffset.UtcNow;
        _proxies[clients.IndexOf(leader)].Partition();
        var others = clients.Where(c => c != leader).ToList();
        var (next, _) = await NextLeaderAsync(others, partitionedAt, TimeSpan.FromSeconds(LeaseTtlSeconds + 5));
        var old = await leader.StatusAsync();

        output.WriteLine($"partitioned at {partitionedAt:HH:mm:ss.fff}; {leader.Id} stopped leading at {old.SteppedDownAt:HH:mm:ss.fff}; {next.ClientId} elected at {next.ElectedAt:HH:mm:ss.fff}");
        Assert.False(old.IsLeader);
        Assert.False(old.CoordinatorLeads);
        Assert.NotNull(old.SteppedDownAt);
        Assert.True(old.SteppedDownAt < next.ElectedAt, $"{leader.Id} stopped at {old.SteppedDownAt:HH:mm:ss.fff}, {next.ClientId} led from {next.ElectedAt:HH:mm:ss.fff}");
        Assert.True(next.ElectedAt!.Value - partitionedAt <= TimeSpan.FromSeconds(LeaseTtlSeconds + 1), $"elected {next.ElectedAt - partitionedAt} after the partition");
        Assert.Equal(2, next.DesiredCapacity);

        // Healed, the old leader follows the new one.
        _proxies[clients.IndexOf(leader)].Heal();
        await UntilStatusAsync(leader, s => !s.IsLeader && s.Reporters == 3, "the old leader to rejoin as a follower", TimeSpan.FromSeconds(15));
        foreach (var client in clients)
        {
            await client.LoadAsync(0, 0);
            var results = await client.ResultsAsync();
            output.WriteLine($"{client.Id}: {results.Requests} requests, {results.Failed} failed {string.Join("; ", results.Failures)}");
            Assert.Equal(0, results.Failed);
        }
    }

    /// <summary>Starts the clients at once; with <paramref name="proxied"/>, client i reaches etcd through <c>_proxies[i]</c> (its instances go direct).</summary>
    private async Task<List<ClientProcess>> StartClientsAsync(int count, bool proxied)
    {
        var urls = Enumerable.Range(0, count).Select(_ =>
        {
            if (!proxied)
            {
                return _etcd.ClientUrl;
            }

            var proxy = new TcpProxy(_etcd.ClientPort);
            _proxies.Add(proxy);
            return proxy.Url;
        }).ToList();
        var started = await Task.WhenAll(urls.Select((url, i) => ClientProcess.StartAsync($"client-{i + 1}", url, _etcd.ClientUrl, _prefix, _state.FullName)));
        _clients.AddRange(started);
        return [.. started];
    }

    private static async Task<ClientProcess> SingleLeaderAsync(List<ClientProcess> clients, int inService)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            var statuses = await Task.WhenAll(clients.Select(c => c.StatusAsync()));
            var leaders = statuses.Where(s => s.IsLeader).ToList();
            Assert.True(leaders.Count <= 1, $"{leaders.Count} leaders at once");
            if (leaders.Count == 1 && leaders[0].InService == inService && statuses.All(s => s.PoolMembers.Length == inService && s.Reporters == clients.Count))
            {
                return clients.Single(c => c.Id == leaders[0].ClientId);
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"No single leader with {inService} instances in service and every pool holding them within 60 s. Outputs:{Environment.NewLine}{string.Join(Environment.NewLine, clients.Select(c => c.Output))}");
    }

    private static async Task<(ClientStatus Status, TimeSpan Acting)> NextLeaderAsync(List<ClientProcess> candidates, DateTimeOffset since, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < within)
        {
            foreach (var client in candidates)
            {
                if (await client.TryStatusAsync() is { IsLeader: true, ActingAt: { } acting } status)
                {
                    return (status, acting - since);
                }
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"No client took over within {within}. Outputs:{Environment.NewLine}{string.Join(Environment.NewLine, candidates.Select(c => c.Output))}");
    }

    private static async Task<ClientStatus> UntilStatusAsync(ClientProcess client, Func<ClientStatus, bool> condition, string what, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        ClientStatus? last = null;
        while (watch.Elapsed < within)
        {
            last = await client.StatusAsync();
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Timed out after {within} waiting for {what}; last status: desired {last?.DesiredCapacity}, instances {string.Join(", ", last?.Instances.Select(i => $"{i.Id} {i.State}") ?? [])}, activities {string.Join(" | ", last?.Activities.Select(a => $"{a.Kind} {a.Status} {a.InstanceId} {a.Cause}") ?? [])}. Output:{Environment.NewLine}{client.Output}");
    }

    /// <summary>Samples every live client's status every 100 ms and remembers the most that claimed to lead in one sample.</summary>
    private sealed class LeaderMonitor : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private int _most;

        public LeaderMonitor(List<ClientProcess> clients) => _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var statuses = await Task.WhenAll(clients.Select(c => c.TryStatusAsync()));
                var leaders = statuses.Count(s => s is { CoordinatorLeads: true });
                InterlockedMax(ref _most, leaders);
                await Task.Delay(100);
            }
        });

        public int MostLeadersSeen => Volatile.Read(ref _most);

        public void Dispose() => _stop.Cancel();

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }
}
