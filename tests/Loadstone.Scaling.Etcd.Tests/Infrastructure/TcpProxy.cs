using System.Net;
using System.Net.Sockets;

namespace Loadstone.Scaling.Etcd.Tests;

/// <summary>
/// A TCP proxy on a free loopback port in front of a server, that the test can partition: <see cref="Partition"/> makes
/// it a black hole (bytes in either direction are read and dropped, new connections are accepted and never answered,
/// nothing is reset), as a network that silently stops delivering; <see cref="Heal"/> closes those connections and
/// forwards again.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<(TcpClient Client, TcpClient? Upstream)> _connections = [];
    private readonly Task _accepting;
    private volatile bool _partitioned;

    public TcpProxy(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public bool IsPartitioned => _partitioned;

    public void Partition() => _partitioned = true;

    public void Heal()
    {
        List<(TcpClient, TcpClient?)> cut;
        lock (_connections)
        {
            cut = [.. _connections];
            _connections.Clear();
            _partitioned = false;
        }

        foreach (var (client, upstream) in cut)
        {
            client.Dispose();
            upstream?.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Heal();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            client.NoDelay = true;
            TcpClient? upstream = null;
            if (!_partitioned)
            {
                upstream = new TcpClient { NoDelay = true };
                try
                {
                    await upstream.ConnectAsync(IPAddress.Loopback, _target, _stopping.Token);
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                {
                    upstream.Dispose();
                    client.Dispose();
                    continue;
                }
            }

            lock (_connections)
            {
                _connections.Add((client, upstream));
            }

            _ = Pump(client, upstream);
            if (upstream is not null)
            {
                _ = Pump(upstream, client);
            }
        }
    }

    /// <summary>Copies bytes from one side to the other; while partitioned (or with no other side) they are dropped.</summary>
    private async Task Pump(TcpClient from, TcpClient? to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            var input = from.GetStream();
            while (true)
            {
                var read = await input.ReadAsync(buffer, _stopping.Token);
                if (read == 0)
                {
                    break;
                }

                if (!_partitioned && to is not null)
                {
                    await to.GetStream().WriteAsync(buffer.AsMemory(0, read), _stopping.Token);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // One side went away.
        }

        if (!_partitioned)
        {
            from.Dispose();
            to?.Dispose();
        }
    }
}
