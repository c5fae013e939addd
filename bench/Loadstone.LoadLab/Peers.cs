using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Loadstone.LoadLab;

/// <summary>
/// A central proxy (HAProxy, nginx or YARP) in front of the same backends, configured by the lab: its own health checks,
/// keep-alive to the backends, least-connections (YARP: two-choices) balancing, retries of failed attempts on another
/// backend (YARP has none); started as a child process on a loopback port and stopped on dispose.
/// </summary>
internal sealed class Peer : IAsyncDisposable
{
    private readonly string _directory;
    private Process? _process;

    private Peer(string name, int port, string directory)
    {
        Name = name;
        Port = port;
        _directory = directory;
    }

    public string Name { get; }

    public int Port { get; }

    public Uri Address => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}/"));

    /// <summary>The executable of a peer, or null when it is not installed.</summary>
    public static string? Find(string name)
    {
        foreach (var dir in new[] { "/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin" }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>Starts the peer, or returns null with the reason when it cannot (not installed, failed to start).</summary>
    public static async Task<(Peer? Peer, string? Skipped)> TryStartAsync(string name, IReadOnlyList<Backend> backends,
        TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backends);
        if (name == "yarp")
        {
            return await TryStartYarpAsync(backends, log, cancellationToken).ConfigureAwait(false);
        }

        var executable = Find(name);
        if (executable is null)
        {
            return (null, $"{name} is not installed (bench/scripts/install-peers.sh installs it)");
        }

        var directory = Directory.CreateTempSubdirectory($"loadlab-{name}-").FullName;
        var peer = new Peer(name, BackendFleet.FreePort(), directory);
        try
        {
            var config = Path.Combine(directory, name + ".conf");
            await File.WriteAllTextAsync(config, name == "haproxy" ? HaproxyConfig(peer.Port, backends) : NginxConfig(peer.Port, directory, backends), cancellationToken).ConfigureAwait(false);
            var info = new ProcessStartInfo(Path.Combine(Paths.RepositoryRoot(), "bench", "scripts", "with-parent.sh"));
            info.ArgumentList.Add(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            info.ArgumentList.Add(executable);
            if (name == "haproxy")
            {
                info.ArgumentList.Add("-db");
                info.ArgumentList.Add("-f");
                info.ArgumentList.Add(config);
            }
            else
            {
                info.ArgumentList.Add("-p");
                info.ArgumentList.Add(directory + "/");
                info.ArgumentList.Add("-c");
                info.ArgumentList.Add(config);
            }

            var process = peer._process = ChildProcesses.Start(info, name, log);
            await BackendFleet.WaitHealthyAsync(peer.Port, "/", TimeSpan.FromSeconds(20), cancellationToken, () => process.HasExited).ConfigureAwait(false);
            return (peer, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            return (null, $"{name} did not start: {ex.Message}");
        }
    }

    /// <summary>YARP as a central proxy: bench/Loadstone.YarpProxy, built with the lab, run as its own process.</summary>
    private static async Task<(Peer? Peer, string? Skipped)> TryStartYarpAsync(IReadOnlyList<Backend> backends, TextWriter log,
        CancellationToken cancellationToken)
    {
        var dll = YarpDll();
        if (dll is null)
        {
            return (null, "yarp is not built (bench/Loadstone.YarpProxy; the lab's project builds it)");
        }

        var directory = Directory.CreateTempSubdirectory("loadlab-yarp-").FullName;
        var peer = new Peer("yarp", BackendFleet.FreePort(), directory);
        try
        {
            var info = new ProcessStartInfo(BackendFleet.DotnetHost());
            foreach (var arg in new[]
            {
                "exec", dll, "--port", peer.Port.ToString(CultureInfo.InvariantCulture),
                "--backends", string.Join(',', backends.Select(b => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{b.Port}"))),
                "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            })
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment["DOTNET_gcServer"] = "0";
            var process = peer._process = ChildProcesses.Start(info, "yarp", log);
            await BackendFleet.WaitHealthyAsync(peer.Port, "/", TimeSpan.FromSeconds(30), cancellationToken, () => process.HasExited).ConfigureAwait(false);
            return (peer, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            return (null, $"yarp did not start: {ex.Message}");
        }
    }

    /// <summary>bench/Loadstone.YarpProxy's dll (LOADSTONE_YARP_DLL, else the Release or Debug build), or null.</summary>
    private static string? YarpDll()
    {
        var fromEnv = Environment.GetEnvironmentVariable("LOADSTONE_YARP_DLL");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }

        var root = Paths.RepositoryRoot();
        string[] configurations = AppContext.BaseDirectory.Replace('\\', '/').Contains("/Debug/", StringComparison.Ordinal) ? ["Debug", "Release"] : ["Release", "Debug"];
        return configurations.Select(c => Path.Combine(root, "bench", "Loadstone.YarpProxy", "bin", c, "net10.0", "Loadstone.YarpProxy.dll"))
            .FirstOrDefault(File.Exists);
    }

    public ValueTask DisposeAsync()
    {
        if (_process is { } p)
        {
            ChildProcesses.Kill(p);
            _process = null;
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private static string HaproxyConfig(int port, IReadOnlyList<Backend> backends)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""
            global
                maxconn 4000

            defaults
                mode http
                timeout connect 2s
                timeout client 30s
                timeout server 30s
                option http-keep-alive
                retries 2
                option redispatch 1
                retry-on conn-failure empty-response response-timeout 502 503 504

            frontend fe
                bind 127.0.0.1:{port}
                default_backend be

            backend be
                balance leastconn
                http-reuse always
                option httpchk GET /health
                http-check expect status 200
                default-server check inter 1s fall 2 rise 2

            """);
        foreach (var b in backends)
        {
            sb.Append(CultureInfo.InvariantCulture, $"    server {b.Name} 127.0.0.1:{b.Port}\n");
        }

        return sb.ToString();
    }

    private static string NginxConfig(int port, string directory, IReadOnlyList<Backend> backends)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $$"""
            worker_processes auto;
            daemon off;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            events { worker_connections 8192; }
            http {
                access_log off;
                client_body_temp_path {{directory}}/body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                upstream be {
                    least_conn;
                    keepalive 256;

            """);
        foreach (var b in backends)
        {
            // nginx open source has passive health checks only: a failed attempt marks the server down for fail_timeout.
            sb.Append(CultureInfo.InvariantCulture, $"        server 127.0.0.1:{b.Port} max_fails=1 fail_timeout=10s;\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $$"""
                }
                server {
                    listen 127.0.0.1:{{port}};
                    location / {
                        proxy_pass http://be;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_connect_timeout 2s;
                        proxy_next_upstream error timeout http_502 http_503 http_504;
                        proxy_next_upstream_tries 3;
                    }
                }
            }

            """);
        return sb.ToString();
    }
}
