using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Loadstone.ConnectionsSample;

namespace Loadstone.Tests.Connections;

/// <summary>
/// Real <c>redis-server</c> processes (Debian package <c>redis-server</c>) on 127.0.0.1, each on a free port with its own
/// temporary directory and no persistence (<c>--save '' --appendonly no</c>). Starting fails (the test fails, it is not
/// skipped) when redis-server is missing or does not answer PING.
/// </summary>
public sealed class RedisServers : IAsyncDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(15);
    private readonly List<Instance> _instances = [];

    private RedisServers()
    {
    }

    public int Count => _instances.Count;

    public IReadOnlyList<int> Ports => _instances.Select(i => i.Port).ToArray();

    /// <summary>The endpoints of the instances: <c>tcp://127.0.0.1:{port}</c>.</summary>
    public IReadOnlyList<string> Endpoints => _instances.Select(i => $"tcp://127.0.0.1:{i.Port}").ToArray();

    public static async Task<RedisServers> StartAsync(int count)
    {
        var servers = new RedisServers();
        try
        {
            for (var i = 0; i < count; i++)
            {
                servers._instances.Add(await Instance.StartAsync());
            }
        }
        catch
        {
            await servers.DisposeAsync();
            throw;
        }

        return servers;
    }

    /// <summary>Kills instance <paramref name="index"/> (SIGKILL, as a crash) and waits until it has exited.</summary>
    public async Task KillAsync(int index)
    {
        var process = _instances[index].Process;
        process.Kill();
        await process.WaitForExitAsync().WaitAsync(StartLimit);
    }

    /// <summary>Clients connected to each instance now, not counting the connection that asks.</summary>
    public Task<int[]> ConnectedClientsAsync() => ConnectedClientsExceptAsync(-1);

    /// <summary>Clients connected to each instance but one (a killed one) now, in order.</summary>
    public async Task<int[]> ConnectedClientsExceptAsync(int skip)
    {
        var counts = new List<int>();
        for (var i = 0; i < _instances.Count; i++)
        {
            if (i == skip)
            {
                continue;
            }

            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, _instances[i].Port);
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            counts.Add(await new RespClient(stream).ConnectedClientsAsync() - 1);
        }

        return counts.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        _instances.Clear();
    }

    private sealed class Instance : IAsyncDisposable
    {
        private Instance(Process process, int port, string directory)
        {
            Process = process;
            Port = port;
            Directory = directory;
        }

        public Process Process { get; }

        public int Port { get; }

        public string Directory { get; }

        /// <summary>Starts one instance; a port taken between choosing it and binding it gets a second and third try.</summary>
        public static async Task<Instance> StartAsync()
        {
            for (var attempt = 1; ; attempt++)
            {
                var instance = await TryStartAsync();
                if (instance is not null)
                {
                    return instance;
                }

                if (attempt == 3)
                {
                    throw new InvalidOperationException("redis-server found its port taken three times in a row.");
                }
            }
        }

        private static async Task<Instance?> TryStartAsync()
        {
            var port = FreePort();
            var directory = System.IO.Directory.CreateTempSubdirectory("loadstone-redis-").FullName;
            var start = new ProcessStartInfo("redis-server")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[]
            {
                "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", directory, "--daemonize", "no", "--loglevel", "warning",
            })
            {
                start.ArgumentList.Add(argument);
            }

            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
            }
            catch (Win32Exception ex)
            {
                System.IO.Directory.Delete(directory, recursive: true);
                throw new InvalidOperationException(
                    "redis-server is not installed: these tests need the Debian package redis-server (apt-get install -y redis-server).", ex);
            }

            var output = new System.Text.StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var instance = new Instance(process, port, directory);
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < StartLimit)
            {
                if (process.HasExited)
                {
                    break;
                }

                try
                {
                    using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    await socket.ConnectAsync(IPAddress.Loopback, port);
                    await using var stream = new NetworkStream(socket, ownsSocket: true);
                    if (await new RespClient(stream).PingAsync() == "PONG")
                    {
                        return instance;
                    }
                }
                catch (Exception ex) when (ex is SocketException or IOException)
                {
                    await Task.Delay(50);
                }
            }

            var exited = process.HasExited;
            await instance.DisposeAsync();
            string log;
            lock (output)
            {
                log = output.ToString();
            }

            if (exited && log.Contains("Address already in use", StringComparison.Ordinal))
            {
                return null;
            }

            throw new InvalidOperationException(exited
                ? $"redis-server on port {port} exited at start-up. Its output: {log}"
                : $"redis-server on port {port} did not answer PING within {StartLimit.TotalSeconds} s. Its output: {log}");
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (!Process.HasExited)
                {
                    Process.Kill(entireProcessTree: true);
                    await Process.WaitForExitAsync().WaitAsync(StartLimit);
                }
            }
            finally
            {
                Process.Dispose();
                try
                {
                    System.IO.Directory.Delete(Directory, recursive: true);
                }
                catch (IOException)
                {
                    // A temporary directory left behind is not worth failing a test for.
                }
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
