using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Loadstone.Tests.Connections;

/// <summary>
/// A real TCP server on 127.0.0.1 with an ephemeral port: it echoes what it receives (over TLS when given a certificate),
/// or, when silent, accepts connections and never answers (for timeouts). It counts connections and can reset them.
/// </summary>
public sealed class TcpTestServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly X509Certificate2? _certificate;
    private readonly bool _silent;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task _acceptLoop;
    private int _accepted;

    private TcpTestServer(X509Certificate2? certificate, bool silent)
    {
        _certificate = certificate;
        _silent = silent;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptAsync();
    }

    public int Port { get; }

    /// <summary><c>tcp://127.0.0.1:{port}</c>.</summary>
    public string Endpoint => $"tcp://127.0.0.1:{Port}";

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections open now (accepted and not yet closed by either side).</summary>
    public int Open => _open.Count;

    public static TcpTestServer Echo(X509Certificate2? certificate = null) => new(certificate, silent: false);

    public static TcpTestServer Silent() => new(null, silent: true);

    /// <summary>Waits (bounded) until <paramref name="count"/> connections have been accepted.</summary>
    public void WaitForAccepted(int count) =>
        Assert.True(SpinWait.SpinUntil(() => Accepted >= count, TimeSpan.FromSeconds(5)), $"The server accepted {Accepted} connections, not {count}.");

    /// <summary>Resets every open connection (RST, as a crashed peer's kernel would), keeping the listener.</summary>
    public void ResetConnections()
    {
        foreach (var socket in _open.Keys)
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
    }

    /// <summary>Stops listening and closes every connection: new connects are refused.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var socket in _open.Keys)
        {
            socket.Close();
        }

        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            Interlocked.Increment(ref _accepted);
            _open.TryAdd(socket, 0);
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (_silent)
            {
                // Hold the connection without a byte, until the client gives up or the server stops.
                var buffer = new byte[1];
                while (await stream.ReadAsync(buffer, _stop.Token) > 0)
                {
                }

                return;
            }

            if (_certificate is not null)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
                stream = ssl;
            }

            var data = new byte[4096];
            int read;
            while ((read = await stream.ReadAsync(data, _stop.Token)) > 0)
            {
                await stream.WriteAsync(data.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException
            or System.Security.Authentication.AuthenticationException)
        {
            // The client went away, the handshake failed (a test about certificates), or the server is stopping.
        }
        finally
        {
            _open.TryRemove(socket, out _);
            socket.Dispose();
        }
    }
}
