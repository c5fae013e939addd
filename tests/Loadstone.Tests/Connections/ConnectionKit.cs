using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Connections;

/// <summary>Shared helpers of the connection tests.</summary>
internal static class ConnectionKit
{
    /// <summary>A pool over the given addresses: a manual clock, a seeded random source, passive checks at their defaults.</summary>
    public static ServicePool Pool(string service, string strategy, IEnumerable<string> addresses, Action<LoadBalancingOptions>? configure = null,
        FakeTimeProvider? time = null)
    {
        var setup = new PoolSetup
        {
            Options = new LoadBalancingOptions { Strategy = strategy },
            Time = time ?? TestClock.Create(),
            Random = new Random(11),
        };
        foreach (var address in addresses)
        {
            setup.Options.Endpoints.Add(address);
        }

        configure?.Invoke(setup.Options);
        return setup.Create(service);
    }

    /// <summary>A tcp endpoint on 127.0.0.1 that nothing listens on: bound, then released, so connects are refused.</summary>
    public static string RefusingEndpoint()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"tcp://127.0.0.1:{port}";
    }

    /// <summary>Writes a line and reads the echo back.</summary>
    public static async Task<string> EchoAsync(Stream stream, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await stream.WriteAsync(bytes);
        var received = new byte[bytes.Length];
        await stream.ReadExactlyAsync(received);
        return Encoding.UTF8.GetString(received);
    }

    public static EndpointState State(ServicePool pool, string address)
    {
        var id = new LoadBalancedEndpoint(address).Id;
        return pool.Endpoints.Single(s => s.Endpoint.Id == id);
    }

    /// <summary>Waits (bounded) for an asynchronous result, failing with <paramref name="what"/> when it does not come.</summary>
    public static void WaitFor(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(5)), $"Timed out waiting for: {what}");
}
