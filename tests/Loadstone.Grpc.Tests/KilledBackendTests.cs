using Grpc.Net.Client;
using Loadstone.Grpc.Tests.Echo;
using Microsoft.Extensions.DependencyInjection;
using static Loadstone.Grpc.Tests.GrpcKit;

namespace Loadstone.Grpc.Tests;

/// <summary>
/// A backend killed while calls run (its connections aborted, its port closed): with gRPC's retry policy for
/// UNAVAILABLE, no unary call fails, through the policy route and through the HttpClient route.
/// </summary>
public sealed class KilledBackendTests
{
    private const int Callers = 4;
    private const int CallsPerCaller = 60;

    [Theory]
    [InlineData(LoadBalancingStrategies.PowerOfTwoChoices)]
    [InlineData(LoadBalancingStrategies.PeakEwma)]
    [InlineData(LoadBalancingStrategies.RoundRobin)]
    public async Task PolicyRoute_BackendKilledMidRun_NoCallFails(string strategy)
    {
        var backends = await GrpcBackend.StartManyAsync(3);
        try
        {
            using var pool = Pool(strategy, backends);
            using var channel = Channel(pool, RetryUnavailable());
            var client = new Echo.Echo.EchoClient(channel);
            await WarmUpAsync(client, backends);

            var failures = await RunAndKillAsync(client, backends[1]);

            Assert.Empty(failures);
            Assert.All(new[] { backends[0], backends[2] }, b => Assert.True(b.UnaryCount > 0));
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task HttpClientRoute_BackendKilledMidRun_NoCallFails()
    {
        var backends = await GrpcBackend.StartManyAsync(3);
        try
        {
            var services = new ServiceCollection();
            services.AddGrpcClient<Echo.Echo.EchoClient>(o => o.Address = new Uri("http://catalog"))
                .ConfigureChannel(o => o.ServiceConfig = RetryUnavailable())
                .AddLoadBalancing("catalog", o =>
                {
                    // Round robin moves each retry to the next endpoint; the refused connections also eject the dead one.
                    o.Strategy = LoadBalancingStrategies.RoundRobin;
                    foreach (var backend in backends)
                    {
                        o.Endpoints.Add(backend.Address.ToString());
                    }
                });
            await using var provider = services.BuildServiceProvider();
            var client = provider.GetRequiredService<Echo.Echo.EchoClient>();

            var failures = await RunAndKillAsync(client, backends[1]);

            Assert.Empty(failures);
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    /// <summary>Four callers make unary calls one after another; the victim is killed when a third of them are done.</summary>
    private static async Task<List<string>> RunAndKillAsync(Echo.Echo.EchoClient client, GrpcBackend victim)
    {
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var done = 0;
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, Callers).Select(async _ =>
        {
            for (var i = 0; i < CallsPerCaller; i++)
            {
                try
                {
                    await client.UnaryAsync(new EchoRequest { Text = "x" }, deadline: DateTime.UtcNow.AddSeconds(10));
                }
                catch (Exception ex)
                {
                    failures.Add(ex.Message);
                }

                if (Interlocked.Increment(ref done) == Callers * CallsPerCaller / 3)
                {
                    await victim.KillAsync();
                    killed.SetResult();
                }
            }
        }).ToList();
        await Task.WhenAll(callers);
        await killed.Task;
        Assert.True(victim.UnaryCount > 0, "The victim served calls before it was killed.");
        return [.. failures];
    }
}
