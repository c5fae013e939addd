using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Loadstone.Grpc.Tests.Echo;

namespace Loadstone.Grpc.Tests;

/// <summary>Three gRPC backends shared by the tests of one class (tests within a class run one at a time).</summary>
public sealed class ThreeGrpcBackends : IAsyncLifetime
{
    public GrpcBackend[] All { get; private set; } = [];

    public GrpcBackend this[int index] => All[index];

    public async Task InitializeAsync() => All = await GrpcBackend.StartManyAsync(3);

    public async Task DisposeAsync()
    {
        foreach (var backend in All)
        {
            await backend.DisposeAsync();
        }
    }

    public void Reset()
    {
        foreach (var backend in All)
        {
            backend.ResetCounts();
            backend.Failure = StatusCode.OK;
            backend.Delay = TimeSpan.Zero;
            backend.Health.SetStatus(string.Empty, global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving);
        }
    }
}

internal static class GrpcKit
{
    /// <summary>gRPC's retry policy for every method: up to 5 attempts, UNAVAILABLE retried after a short back-off.</summary>
    public static ServiceConfig RetryUnavailable() => new()
    {
        MethodConfigs =
        {
            new MethodConfig
            {
                Names = { MethodName.Default },
                RetryPolicy = new RetryPolicy
                {
                    MaxAttempts = 5,
                    InitialBackoff = TimeSpan.FromMilliseconds(10),
                    MaxBackoff = TimeSpan.FromMilliseconds(50),
                    BackoffMultiplier = 1.5,
                    RetryableStatusCodes = { StatusCode.Unavailable },
                },
            },
        },
    };

    public static ServicePool Pool(string strategy, IEnumerable<GrpcBackend> backends, Action<LoadBalancingOptions>? configure = null,
        ServicePoolDependencies? dependencies = null)
    {
        var options = new LoadBalancingOptions { Strategy = strategy };
        foreach (var backend in backends)
        {
            options.Endpoints.Add(backend.Address.ToString());
        }

        configure?.Invoke(options);
        return new ServicePool("catalog", options, dependencies);
    }

    /// <summary>Unary calls one after another; returns the backend names that answered, in order.</summary>
    public static async Task<List<string>> UnaryAsync(Echo.Echo.EchoClient client, int count)
    {
        var answered = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            answered.Add((await client.UnaryAsync(new EchoRequest { Text = $"{i}" })).Backend);
        }

        return answered;
    }

    /// <summary>
    /// Calls until every backend has answered (each subchannel is connected), then zeroes the backends' counts: a channel
    /// balances over the connections that are ready, and they connect one by one.
    /// </summary>
    public static async Task WarmUpAsync(Echo.Echo.EchoClient client, IReadOnlyCollection<GrpcBackend> backends)
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < 200 && seen.Count < backends.Count; i++)
        {
            seen.Add((await client.UnaryAsync(new EchoRequest { Text = "warm-up" })).Backend);
        }

        Assert.Equal(backends.Count, seen.Count);
        foreach (var backend in backends)
        {
            backend.ResetCounts();
        }
    }

    public static Dictionary<string, int> CountBy(IEnumerable<string> names) =>
        names.GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());

    public static GrpcChannel Channel(ServicePool pool, ServiceConfig? serviceConfig = null) =>
        LoadBalancedGrpcChannel.Create(pool, new GrpcChannelOptions { ServiceConfig = serviceConfig });
}
