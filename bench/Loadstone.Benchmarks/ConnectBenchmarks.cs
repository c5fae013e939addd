using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;

namespace Loadstone.Benchmarks;

/// <summary>
/// What connection balancing adds to a TCP connect: <see cref="ConnectionBalancer.ConnectAsync(CancellationToken)"/>
/// (pick by least connections over three loopback servers, lease, connect, wrap) against a plain
/// <see cref="Socket.ConnectAsync(EndPoint, CancellationToken)"/> to the same servers, each followed by a close. Both close
/// with an abortive reset (linger 0) so no socket lingers in TIME_WAIT and the run cannot exhaust ephemeral ports.
/// </summary>
[MemoryDiagnoser]
public class ConnectBenchmarks
{
    private readonly List<TcpListener> _listeners = [];
    private readonly CancellationTokenSource _stop = new();
    private IPEndPoint[] _targets = null!;
    private ServicePool _pool = null!;
    private ConnectionBalancer _balancer = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var options = new LoadBalancingOptions { Strategy = LoadBalancingStrategies.LeastRequests };
        for (var i = 0; i < 3; i++)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start(backlog: 1024);
            _listeners.Add(listener);
            options.Endpoints.Add($"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
            _ = AcceptAsync(listener);
        }

        _targets = _listeners.Select(l => (IPEndPoint)l.LocalEndpoint).ToArray();
        _pool = new ServicePool("cache", options);
        _balancer = new ConnectionBalancer(_pool);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        foreach (var listener in _listeners)
        {
            listener.Stop();
        }

        _balancer.Dispose();
        _pool.Dispose();
    }

    [Benchmark(Baseline = true)]
    public async Task PlainSocketConnect()
    {
        // The same rotation over the three servers, without a balancer.
        var target = _targets[(uint)Interlocked.Increment(ref _next) % (uint)_targets.Length];
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(target);
        socket.LingerState = new LingerOption(true, 0);
        socket.Dispose();
    }

    [Benchmark]
    public async Task BalancedConnect()
    {
        var connection = await _balancer.ConnectAsync();
        connection.Socket.LingerState = new LingerOption(true, 0);
        await connection.DisposeAsync();
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                using var socket = await listener.AcceptSocketAsync(_stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }
}
