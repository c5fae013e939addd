using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Loadstone.ConnectionsSample;

/// <summary>
/// Three cache servers on 127.0.0.1: real <c>redis-server</c> processes when the program is installed (Debian package
/// <c>redis-server</c>), else small in-process servers that speak the same RESP commands (PING, SET, GET, INFO).
/// </summary>
internal sealed class CacheServers : IAsyncDisposable
{
    private readonly List<ICacheServer> _servers;

    private CacheServers(List<ICacheServer> servers, string kind)
    {
        _servers = servers;
        Kind = kind;
    }

    public string Kind { get; }

    public IReadOnlyList<int> Ports => _servers.Select(s => s.Port).ToArray();

    public static async Task<CacheServers> StartAsync(int count)
    {
        var servers = new List<ICacheServer>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                servers.Add(await RedisProcess.StartAsync());
            }

            return new CacheServers(servers, "redis-server processes");
        }
        catch (Win32Exception)
        {
            // redis-server is not installed: the same protocol from an in-process server.
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }

            servers.Clear();
            for (var i = 0; i < count; i++)
            {
                servers.Add(new InProcessRespServer());
            }

            return new CacheServers(servers, "in-process RESP servers (redis-server is not installed)");
        }
    }

    /// <summary>Stops server <paramref name="index"/> abruptly, as a crash: its connections drop, new connects are refused.</summary>
    public Task KillAsync(int index) => _servers[index].KillAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }

    private interface ICacheServer : IAsyncDisposable
    {
        int Port { get; }

        Task KillAsync();
    }

    private sealed class RedisProcess(Process process, int port, string directory) : ICacheServer
    {
        public int Port => port;

        public static async Task<RedisProcess> StartAsync()
        {
            var port = FreePort();
            var directory = Directory.CreateTempSubdirectory("loadstone-sample-redis-").FullName;
            var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory })
            {
                start.ArgumentList.Add(argument);
            }

            var server = new RedisProcess(Process.Start(start)!, port, directory);
            server.Drain();
            for (var i = 0; i < 200; i++)
            {
                try
                {
                    using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    await socket.ConnectAsync(IPAddress.Loopback, port);
                    await using var stream = new NetworkStream(socket, ownsSocket: true);
                    await new RespClient(stream).PingAsync();
                    return server;
                }
                catch (Exception ex) when (ex is SocketException or IOException)
                {
                    await Task.Delay(50);
                }
            }

            await server.DisposeAsync();
            throw new InvalidOperationException($"redis-server on port {port} did not answer PING within 10 s.");
        }

        public async Task KillAsync()
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                await KillAsync();
            }

            process.Dispose();
            Directory.Delete(directory, recursive: true);
        }

        private void Drain()
        {
            process.OutputDataReceived += static (_, _) => { };
            process.ErrorDataReceived += static (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }
    }

    /// <summary>Just enough of a Redis server for the sample: PING, SET, GET and INFO (server and clients).</summary>
    private sealed class InProcessRespServer : ICacheServer
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly ConcurrentDictionary<string, string> _data = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<Socket, byte> _clients = new();
        private readonly CancellationTokenSource _stop = new();

        public InProcessRespServer()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = AcceptAsync();
        }

        public int Port { get; }

        public Task KillAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            foreach (var client in _clients.Keys)
            {
                client.Close();
            }

            return Task.CompletedTask;
        }

        public async ValueTask DisposeAsync()
        {
            await KillAsync();
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    _clients.TryAdd(socket, 0);
                    _ = ServeAsync(socket);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            try
            {
                await using var stream = new NetworkStream(socket, ownsSocket: true);
                using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
                while (await ReadCommandAsync(reader) is { } command)
                {
                    var reply = Execute(command);
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(reply), _stop.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                _clients.TryRemove(socket, out _);
            }
        }

        private static async Task<string[]?> ReadCommandAsync(StreamReader reader)
        {
            if (await reader.ReadLineAsync() is not { } header)
            {
                return null;
            }

            var arguments = new string[int.Parse(header.AsSpan(1), CultureInfo.InvariantCulture)];
            for (var i = 0; i < arguments.Length; i++)
            {
                await reader.ReadLineAsync(); // $length: the sample's values never contain line breaks
                arguments[i] = await reader.ReadLineAsync() ?? throw new EndOfStreamException();
            }

            return arguments;
        }

        private string Execute(string[] command) => command[0].ToUpperInvariant() switch
        {
            "PING" => "+PONG\r\n",
            "SET" => Set(command[1], command[2]),
            "GET" => _data.TryGetValue(command[1], out var value) ? Bulk(value) : "$-1\r\n",
            "INFO" when command.Length > 1 && command[1] == "server" => Bulk($"# Server\r\ntcp_port:{Port}\r\n"),
            "INFO" => Bulk($"# Clients\r\nconnected_clients:{_clients.Count}\r\n"),
            _ => $"-ERR unknown command '{command[0]}'\r\n",
        };

        private string Set(string key, string value)
        {
            _data[key] = value;
            return "+OK\r\n";
        }

        private static string Bulk(string value) => $"${Encoding.UTF8.GetByteCount(value)}\r\n{value}\r\n";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
