using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Net.Client;

namespace Loadstone.Discovery.Tests;

/// <summary>
/// A real single-member etcd (the etcd-server package, v3 API) on free loopback ports with a temporary data directory.
/// <see cref="Kill"/> takes it down hard (SIGKILL), <see cref="RestartAsync"/> brings it back with the same data; the
/// helpers put, delete and compact keys as another client of the cluster would.
/// </summary>
public sealed class EtcdServer : IAsyncDisposable
{
    private const string Binary = "etcd";
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("loadstone-etcd-");
    private readonly int _peerPort = FreePorts.Tcp();
    private Process? _process;
    private GrpcChannel? _channel;

    private EtcdServer() => ClientPort = FreePorts.Tcp();

    public int ClientPort { get; }

    /// <summary>The client URL, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public string ClientUrl => $"http://127.0.0.1:{ClientPort}";

    public string LogPath => Path.Combine(_directory.FullName, "etcd.log");

    public KV.KVClient KV => new(_channel ??= GrpcChannel.ForAddress(ClientUrl));

    public Lease.LeaseClient Lease => new(_channel ??= GrpcChannel.ForAddress(ClientUrl));

    public static async Task<EtcdServer> StartAsync()
    {
        var server = new EtcdServer();
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Kills etcd (SIGKILL): connections break at once, nothing is flushed beyond what etcd already made durable.</summary>
    public void Kill()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(10_000);
            }

            process.Dispose();
            _process = null;
        }
    }

    /// <summary>Starts etcd again on the same ports with the same data.</summary>
    public Task RestartAsync()
    {
        Kill();
        return StartProcessAsync();
    }

    public async Task<long> PutAsync(string key, string value, long lease = 0)
    {
        var response = await KV.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value), Lease = lease });
        return response.Header.Revision;
    }

    public Task<long> PutEndpointAsync(string key, string address, int weight = 1, string? zone = null) =>
        PutAsync(key, $$"""{"address":"{{address}}","weight":{{weight}}{{(zone is null ? "" : $",\"zone\":\"{zone}\"")}}}""");

    public async Task<long> DeleteAsync(string key)
    {
        var response = await KV.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(key) });
        return response.Header.Revision;
    }

    /// <summary>Compacts the history up to the current revision: watches from older revisions fail with "compacted".</summary>
    public async Task<long> CompactAsync()
    {
        var revision = (await KV.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/"), CountOnly = true })).Header.Revision;
        await KV.CompactAsync(new CompactionRequest { Revision = revision, Physical = true });
        return revision;
    }

    /// <summary>The keys under a prefix, in order.</summary>
    public async Task<string[]> KeysAsync(string prefix)
    {
        var start = Encoding.UTF8.GetBytes(prefix);
        var end = (byte[])start.Clone();
        end[^1]++;
        var response = await KV.RangeAsync(new RangeRequest { Key = ByteString.CopyFrom(start), RangeEnd = ByteString.CopyFrom(end), KeysOnly = true });
        return [.. response.Kvs.Select(kv => kv.Key.ToStringUtf8())];
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _channel?.Dispose();
        await Task.Yield();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Leave it for the temp cleaner.
        }
    }

    private async Task StartProcessAsync()
    {
        var peer = $"http://127.0.0.1:{_peerPort}";
        var arguments = string.Join(' ',
            "--name default",
            $"--data-dir {Path.Combine(_directory.FullName, "data")}",
            $"--listen-client-urls {ClientUrl}",
            $"--advertise-client-urls {ClientUrl}",
            $"--listen-peer-urls {peer}",
            $"--initial-advertise-peer-urls {peer}",
            $"--initial-cluster default={peer}",
            "--heartbeat-interval 50",
            "--election-timeout 500",
            "--logger zap",
            "--log-level warn");
        var info = new ProcessStartInfo(Binary, arguments)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        try
        {
            _process = Process.Start(info) ?? throw new InvalidOperationException("etcd did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                "etcd is needed by the etcd discovery tests and could not be started; install it with 'apt-get install -y etcd-server'.", ex);
        }

        var log = new StreamWriter(LogPath, append: true, Encoding.UTF8) { AutoFlush = true };
        var process = _process;
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        await WaitUntilHealthyAsync(process);
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    private async Task WaitUntilHealthyAsync(Process process)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"etcd exited at start (code {process.ExitCode}); see {LogPath}.");
            }

            try
            {
                var health = await http.GetStringAsync($"{ClientUrl}/health");
                if (health.Contains("\"health\":\"true\"", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"etcd did not become healthy on {ClientUrl} within 20 s; see {LogPath}.");
    }
}
