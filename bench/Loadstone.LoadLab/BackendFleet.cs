using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Loadstone.LoadLab;

/// <summary>One backend process: its port, zone and process.</summary>
internal sealed class Backend
{
    public required string Name { get; init; }

    public required int Port { get; init; }

    public required string Zone { get; init; }

    public required double LatencyMs { get; init; }

    public Process? Process { get; set; }

    public Uri Address => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}/"));
}

/// <summary>
/// N backend processes (bench/Loadstone.LoadBackend) on 127.0.0.1, started in parallel and killed on dispose.
/// </summary>
internal sealed class BackendFleet : IAsyncDisposable
{
    private static readonly HttpClient s_control = new(new SocketsHttpHandler { UseProxy = false })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    private readonly TextWriter _log;

    private BackendFleet(List<Backend> backends, TextWriter log)
    {
        Backends = backends;
        _log = log;
    }

    public IReadOnlyList<Backend> Backends { get; }

    /// <summary>Starts the backends and waits until each answers its health check.</summary>
    /// <param name="specs">(name, zone, latency ms) per backend.</param>
    public static async Task<BackendFleet> StartAsync(IEnumerable<(string Name, string Zone, double LatencyMs)> specs,
        TextWriter log, CancellationToken cancellationToken)
    {
        var backends = specs.Select(s => new Backend { Name = s.Name, Zone = s.Zone, LatencyMs = s.LatencyMs, Port = FreePort() }).ToList();
        var fleet = new BackendFleet(backends, log);
        try
        {
            foreach (var backend in backends)
            {
                fleet.StartProcess(backend);
            }

            await Task.WhenAll(backends.Select(b => WaitHealthyAsync(b.Port, "/health", TimeSpan.FromSeconds(60), cancellationToken,
                () => b.Process is not { HasExited: false }))).ConfigureAwait(false);
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Changes a backend's latency and/or status at run time.</summary>
    public static async Task ControlAsync(Backend backend, double? latencyMs, int? status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var query = new List<string>();
        if (latencyMs is { } l)
        {
            query.Add(string.Create(CultureInfo.InvariantCulture, $"latencyMs={l}"));
        }

        if (status is { } s)
        {
            query.Add(string.Create(CultureInfo.InvariantCulture, $"status={s}"));
        }

        using var response = await s_control.PostAsync(new Uri(backend.Address, "control?" + string.Join('&', query)), null, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Requests to GET / the backend has answered, and the time of the last one (Unix ms).</summary>
    public static async Task<(long Requests, long LastUnixMs)> StatsAsync(Backend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var text = await s_control.GetStringAsync(new Uri(backend.Address, "stats"), cancellationToken).ConfigureAwait(false);
        var parts = text.Split(' ');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    /// <summary>Kills one backend: SIGKILL at once, as a crash, unless <paramref name="graceful"/>.</summary>
    public static void Kill(Backend backend, bool graceful = false)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (backend.Process is { } p)
        {
            ChildProcesses.Kill(p, graceful ? TimeSpan.FromSeconds(3) : TimeSpan.Zero);
            backend.Process = null;
        }
    }

    /// <summary>Starts a killed backend again on the same port and waits for it.</summary>
    public async Task RestartAsync(Backend backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Kill(backend);
        StartProcess(backend);
        await WaitHealthyAsync(backend.Port, "/health", TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var backend in Backends)
        {
            Kill(backend);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A free loopback port (bound, read and released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls http://127.0.0.1:port/path until it answers 200.</summary>
    /// <param name="exited">Tells whether the process meant to answer has exited, to give up at once; optional.</param>
    public static async Task WaitHealthyAsync(int port, string path, TimeSpan timeout, CancellationToken cancellationToken, Func<bool>? exited = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var uri = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}{path}"));
        while (true)
        {
            try
            {
                using var response = await s_control.GetAsync(uri, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            if (exited?.Invoke() == true)
            {
                throw new InvalidOperationException($"The process meant to answer on {uri} exited.");
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"Nothing answered 200 on {uri} within {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private void StartProcess(Backend backend)
    {
        var info = new ProcessStartInfo(DotnetHost());
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(BackendDll());
        foreach (var arg in new[]
        {
            "--port", backend.Port.ToString(CultureInfo.InvariantCulture), "--name", backend.Name, "--zone", backend.Zone,
            "--latency-ms", backend.LatencyMs.ToString(CultureInfo.InvariantCulture),
            "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_GCgen0size"] = "0x4000000"; // 64 MB gen0: fewer GCs in a busy backend.
        backend.Process = ChildProcesses.Start(info, backend.Name, _log);
    }

    internal static string DotnetHost()
    {
        var fromEnv = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(fromEnv))
        {
            return fromEnv;
        }

        var processPath = Environment.ProcessPath;
        return processPath is not null && Path.GetFileNameWithoutExtension(processPath) == "dotnet" ? processPath : "dotnet";
    }

    /// <summary>
    /// The backend's dll: LOADSTONE_BACKEND_DLL if set, else bench/Loadstone.LoadBackend/bin/{Release|Debug}/net10.0
    /// under the repository root (the configuration the lab itself was built in first).
    /// </summary>
    internal static string BackendDll()
    {
        var fromEnv = Environment.GetEnvironmentVariable("LOADSTONE_BACKEND_DLL");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }

        var root = Paths.RepositoryRoot();
        var baseDir = AppContext.BaseDirectory.Replace('\\', '/');
        string[] configurations = baseDir.Contains("/Debug/", StringComparison.Ordinal) ? ["Debug", "Release"] : ["Release", "Debug"];
        foreach (var configuration in configurations)
        {
            var dll = Path.Combine(root, "bench", "Loadstone.LoadBackend", "bin", configuration, "net10.0", "Loadstone.LoadBackend.dll");
            if (File.Exists(dll))
            {
                return dll;
            }
        }

        throw new FileNotFoundException("Loadstone.LoadBackend.dll not found: build bench/Loadstone.LoadBackend (the lab's project builds it) or set LOADSTONE_BACKEND_DLL.");
    }
}

/// <summary>Where the repository is.</summary>
internal static class Paths
{
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Library.sln")))
            {
                return dir.FullName;
            }
        }

        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Library.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root (the folder holding Library.sln) was not found.");
    }
}
