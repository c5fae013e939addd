using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Loadstone.Scaling;

/// <summary>
/// Launches each instance as a local child process: picks a free port, runs the command with the port and zone
/// passed in, waits until it is ready, stops it gracefully (then forcefully), and kills every process tree it
/// started when disposed or when the application exits.
/// </summary>
/// <remarks>
/// If the parent process is killed outright (SIGKILL, a crash that skips exit handlers), children cannot be
/// cleaned up by this class; run instances under a supervisor (systemd, a container) where that matters.
/// </remarks>
public sealed partial class ProcessInstanceLauncher : IInstanceLauncher, IDisposable
{
    private readonly ProcessLauncherOptions _options;
    private readonly ILogger _logger;
    private readonly HttpClient _probe;
    private readonly ConcurrentDictionary<string, Process> _processes = new(StringComparer.Ordinal);
    private readonly EventHandler _onExit;
    private int _sequence;
    private int _disposed;

    /// <summary>Creates the launcher.</summary>
    /// <param name="options">What to run; validated here.</param>
    /// <param name="loggerFactory">Where logs (including the children's output, at Debug) go; <see langword="null"/> for none.</param>
    /// <exception cref="OptionsValidationException">The options are not valid; the message names each setting.</exception>
    public ProcessInstanceLauncher(ProcessLauncherOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(nameof(ProcessInstanceLauncher), typeof(ProcessLauncherOptions), problems);
        }

        _options = options;
        _logger = (ILogger?)loggerFactory?.CreateLogger("Loadstone.ProcessInstanceLauncher") ?? NullLogger.Instance;
        _probe = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(1), UseProxy = false })
        {
            Timeout = TimeSpan.FromSeconds(2),
        };
        _onExit = (_, _) => KillAll();
        AppDomain.CurrentDomain.ProcessExit += _onExit;
    }

    /// <inheritdoc />
    public int LaunchTemplateVersion => _options.LaunchTemplateVersion;

    /// <summary>The process ids of the instances running now.</summary>
    public IReadOnlyCollection<int> ProcessIds => [.. _processes.Values.Select(p => p.Id)];

    /// <inheritdoc />
    public async ValueTask<LaunchedInstance> LaunchAsync(string? zone, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var id = $"proc-{Interlocked.Increment(ref _sequence)}";
        var host = _options.Host;
        var port = FreePort(host);
        var start = new ProcessStartInfo(_options.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _options.WorkingDirectory ?? string.Empty,
        };
        string Expand(string text) => text
            .Replace("{port}", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{host}", host, StringComparison.Ordinal)
            .Replace("{zone}", zone ?? string.Empty, StringComparison.Ordinal)
            .Replace("{instance}", id, StringComparison.Ordinal);
        foreach (var argument in _options.Arguments)
        {
            start.ArgumentList.Add(Expand(argument));
        }

        start.Environment["LOADSTONE_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment["LOADSTONE_HOST"] = host;
        start.Environment["LOADSTONE_ZONE"] = zone ?? string.Empty;
        start.Environment["LOADSTONE_INSTANCE_ID"] = id;
        foreach (var (key, value) in _options.Environment)
        {
            start.Environment[key] = Expand(value);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"'{_options.FileName}' did not start.");
        _processes[id] = process;
        process.OutputDataReceived += (_, e) => LogOutput(id, e.Data);
        process.ErrorDataReceived += (_, e) => LogOutput(id, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var address = new Uri($"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}");
        try
        {
            await WaitUntilReadyAsync(process, address, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _processes.TryRemove(id, out _);
            Kill(process);
            process.Dispose();
            throw;
        }

        Log.Launched(_logger, id, process.Id, address.ToString(), zone ?? "");
        return new LaunchedInstance(id, new LoadBalancedEndpoint(address, zone), zone, _options.LaunchTemplateVersion, process);
    }

    /// <inheritdoc />
    public async ValueTask StopAsync(LaunchedInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (!_processes.TryRemove(instance.Id, out var process))
        {
            return;
        }

        try
        {
            if (!process.HasExited && !OperatingSystem.IsWindows() && _options.StopTimeout > TimeSpan.Zero)
            {
                _ = NativeMethods.Kill(process.Id, NativeMethods.SigTerm);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.StopTimeout);
                try
                {
                    await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Log.StopTimedOut(_logger, instance.Id, process.Id, _options.StopTimeout);
                }
            }

            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            Log.Stopped(_logger, instance.Id, process.Id, process.ExitCode);
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <inheritdoc />
    public InstanceStatus GetStatus(LaunchedInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (!_processes.TryGetValue(instance.Id, out var process))
        {
            return InstanceStatus.Stopped;
        }

        try
        {
            return process.HasExited ? InstanceStatus.Stopped : InstanceStatus.Running;
        }
        catch (InvalidOperationException)
        {
            return InstanceStatus.Stopped;
        }
    }

    /// <summary>Kills every process tree this launcher started and still tracks.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        KillAll();
        _probe.Dispose();
    }

    private void KillAll()
    {
        foreach (var id in _processes.Keys.ToList())
        {
            if (_processes.TryRemove(id, out var process))
            {
                Kill(process);
                process.Dispose();
            }
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exited, or not ours to kill any more.
        }
    }

    private async Task WaitUntilReadyAsync(Process process, Uri address, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ReadinessTimeout);
        var probe = string.IsNullOrEmpty(_options.ReadinessPath) ? null : new Uri(address, _options.ReadinessPath);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"'{_options.FileName}' exited with code {process.ExitCode} before it was ready on {address}.");
            }

            try
            {
                if (await IsReadyAsync(address, probe, timeout.Token).ConfigureAwait(false))
                {
                    return;
                }

                await Task.Delay(_options.ReadinessProbeInterval, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"'{_options.FileName}' was not ready on {probe?.ToString() ?? address.ToString()} within {_options.ReadinessTimeout} (ProcessLauncherOptions.ReadinessTimeout).");
            }
        }
    }

    private async Task<bool> IsReadyAsync(Uri address, Uri? probe, CancellationToken cancellationToken)
    {
        try
        {
            if (probe is null)
            {
                using var client = new TcpClient();
                await client.ConnectAsync(address.Host, address.Port, cancellationToken).ConfigureAwait(false);
                return true;
            }

            using var response = await _probe.GetAsync(probe, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false; // the probe's own timeout
        }
    }

    private static int FreePort(string host)
    {
        var address = IPAddress.TryParse(host, out var ip) ? ip : IPAddress.Loopback;
        using var listener = new TcpListener(address, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void LogOutput(string id, string? line)
    {
        if (line is not null)
        {
            Log.Output(_logger, id, line);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(121, LogLevel.Information, "Instance {Instance} (pid {Pid}) is ready on {Address} in zone '{Zone}'.", EventName = "Launched")]
        public static partial void Launched(ILogger logger, string instance, int pid, string address, string zone);

        [LoggerMessage(122, LogLevel.Information, "Instance {Instance} (pid {Pid}) stopped with exit code {ExitCode}.", EventName = "Stopped")]
        public static partial void Stopped(ILogger logger, string instance, int pid, int exitCode);

        [LoggerMessage(123, LogLevel.Warning, "Instance {Instance} (pid {Pid}) did not exit within {Timeout} of SIGTERM; killing its process tree.", EventName = "StopTimedOut")]
        public static partial void StopTimedOut(ILogger logger, string instance, int pid, TimeSpan timeout);

        [LoggerMessage(124, LogLevel.Debug, "[{Instance}] {Line}", EventName = "Output")]
        public static partial void Output(ILogger logger, string instance, string line);
    }

    private static class NativeMethods
    {
        public const int SigTerm = 15;

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int pid, int signal);
    }
}
