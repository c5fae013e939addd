using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Loadstone.Scaling.Etcd;

/// <summary>
/// Launches each instance as a detached process (its own session, its output in a file) that registers itself in etcd
/// under the group's instances prefix (<c>AddEtcdRegistration</c> with <c>LOADSTONE_PREFIX</c> and
/// <c>LOADSTONE_INSTANCE_ID</c>), so instances outlive the client that launched them and every client's pool finds them
/// through the etcd source. An instance is ready once its key appears; it is running while the key is there; it is
/// stopped with SIGTERM (it deregisters, drains and exits), then SIGKILL after <see cref="DetachedProcessLauncherOptions.StopTimeout"/>.
/// </summary>
/// <remarks>
/// A launch, a stop or a status check after a failover works from the group's record (the instance id, process id and
/// start time) and the process id file, so the next leader must run on the same machine to stop the processes: this
/// launcher runs a fleet on one machine (tests, demos, a single large host). Across machines, launch containers or VMs
/// with a launcher for the platform, which any leader can stop. Unix only.
/// </remarks>
public sealed partial class DetachedProcessLauncher : IDurableInstanceLauncher
{
    private readonly DetachedProcessLauncherOptions _options;
    private readonly EtcdScalingCoordinator _coordinator;
    private readonly ILogger _logger;
    private readonly string _directory;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _missingSince = new(StringComparer.Ordinal);

    /// <summary>Creates the launcher of a group coordinated through etcd.</summary>
    /// <param name="options">What to run; validated here.</param>
    /// <param name="coordinator">The group's coordinator: where the instances register, and whose registrations show they run.</param>
    /// <param name="loggerFactory">Where logs go; <see langword="null"/> for none.</param>
    /// <exception cref="OptionsValidationException">The options are not valid; the message names each setting.</exception>
    public DetachedProcessLauncher(DetachedProcessLauncherOptions options, EtcdScalingCoordinator coordinator, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(coordinator);
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(nameof(DetachedProcessLauncher), typeof(DetachedProcessLauncherOptions), problems);
        }

        _options = options;
        _coordinator = coordinator;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Loadstone.Scaling.DetachedProcessLauncher");
        var group = new string([.. coordinator.Prefix.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]).Trim('_');
        _directory = options.StateDirectory ?? Path.Combine(Path.GetTempPath(), "loadstone-instances", group);
        Directory.CreateDirectory(_directory);
    }

    /// <inheritdoc />
    public int LaunchTemplateVersion => _options.LaunchTemplateVersion;

    /// <summary>Where the instances' output and process id files are.</summary>
    public string StateDirectory => _directory;

    /// <inheritdoc />
    /// <remarks>Names the instance <c>instance-{random}</c>; a group calls the overload with its own instance id.</remarks>
    public ValueTask<LaunchedInstance> LaunchAsync(string? zone, CancellationToken cancellationToken) =>
        LaunchAsync($"instance-{Guid.NewGuid():N}", zone, cancellationToken);

    /// <inheritdoc />
    /// <remarks>If <paramref name="cancellationToken"/> fires (the group is disposed), the process is left running: the group's next leader takes it over.</remarks>
    public async ValueTask<LaunchedInstance> LaunchAsync(string instanceId, string? zone, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var host = _options.Host;
        var port = FreePort(host).ToString(CultureInfo.InvariantCulture);
        string Expand(string text) => text
            .Replace("{port}", port, StringComparison.Ordinal)
            .Replace("{host}", host, StringComparison.Ordinal)
            .Replace("{zone}", zone ?? string.Empty, StringComparison.Ordinal)
            .Replace("{instance}", instanceId, StringComparison.Ordinal);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["LOADSTONE_ETCD"] = string.Join(',', _coordinator.Endpoints),
            ["LOADSTONE_PREFIX"] = _coordinator.InstancesPrefix,
            ["LOADSTONE_INSTANCE_ID"] = instanceId,
            ["LOADSTONE_ZONE"] = zone ?? string.Empty,
            ["LOADSTONE_PORT"] = port,
            ["LOADSTONE_HOST"] = host,
        };
        foreach (var (key, value) in _options.Environment)
        {
            environment[key] = Expand(value);
        }

        var (process, started) = DetachedProcesses.Start(_options.FileName!, _options.Arguments.Select(Expand), environment, _options.WorkingDirectory,
            Path.Combine(_directory, instanceId + ".log"));
        using (process)
        {
            var pid = process.Id;
            await File.WriteAllTextAsync(PidFile(instanceId), $"{pid} {started}", CancellationToken.None).ConfigureAwait(false);
            Log.Started(_logger, instanceId, pid, zone ?? "");
            var until = _coordinator.Time.GetUtcNow() + _options.ReadinessTimeout;
            var endpoint = await _coordinator.WaitForRegistrationAsync(instanceId, until, () => process.HasExited, cancellationToken).ConfigureAwait(false);
            if (endpoint is null)
            {
                var why = process.HasExited
                    ? $"exited with code {process.ExitCode} before it registered"
                    : $"did not register under '{_coordinator.InstancesPrefix}{instanceId}' within {_options.ReadinessTimeout} (DetachedProcessLauncherOptions.ReadinessTimeout); it was killed";
                DetachedProcesses.KillNow(pid, started);
                File.Delete(PidFile(instanceId));
                throw new InvalidOperationException($"Instance {instanceId} ('{_options.FileName}', pid {pid}) {why}. Its output: {Path.Combine(_directory, instanceId + ".log")}.");
            }

            Log.Registered(_logger, instanceId, pid, endpoint.Address);
            return new LaunchedInstance(DetachedId.Format(instanceId, pid, started), endpoint, zone ?? endpoint.Zone, _options.LaunchTemplateVersion);
        }
    }

    /// <inheritdoc />
    /// <remarks>Waits for the instance's registration until the launch's readiness timeout (counted from <paramref name="launchStartedAt"/>), and finds its process from the process id file.</remarks>
    public async ValueTask<LaunchedInstance?> ResumeLaunchAsync(string instanceId, string? zone, DateTimeOffset launchStartedAt, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var (pid, started) = ReadPidFile(instanceId);
        var endpoint = await _coordinator.WaitForRegistrationAsync(instanceId, launchStartedAt + _options.ReadinessTimeout,
            () => pid > 0 && !DetachedProcesses.IsAlive(pid, started), cancellationToken).ConfigureAwait(false);
        if (endpoint is null)
        {
            DetachedProcesses.KillNow(pid, started); // a launch that never came up is not left behind
            return null;
        }

        (pid, started) = ReadPidFile(instanceId);
        Log.Resumed(_logger, instanceId, pid, endpoint.Address);
        return new LaunchedInstance(DetachedId.Format(instanceId, pid, started), endpoint, zone ?? endpoint.Zone, _options.LaunchTemplateVersion);
    }

    /// <inheritdoc />
    public LaunchedInstance Reattach(LaunchedInstance recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        return recorded; // everything needed is in its id: instance, machine, process id and start time
    }

    /// <inheritdoc />
    /// <remarks>
    /// Running while the instance's registration is in etcd; stopped once its process has exited (on this machine) or its
    /// registration has been missing for <see cref="DetachedProcessLauncherOptions.MissingRegistrationTimeout"/>.
    /// </remarks>
    public InstanceStatus GetStatus(LaunchedInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (!DetachedId.TryParse(instance.Id, out var id))
        {
            return InstanceStatus.Stopped;
        }

        if (_coordinator.Registration(id.Instance) is not null || !_coordinator.RegistrationsKnown)
        {
            _missingSince.TryRemove(id.Instance, out _);
            return InstanceStatus.Running;
        }

        if (id.IsLocal && !DetachedProcesses.IsAlive(id.Pid, id.StartTime))
        {
            return InstanceStatus.Stopped;
        }

        var now = _coordinator.Time.GetUtcNow();
        var since = _missingSince.GetOrAdd(id.Instance, now);
        return now - since >= _options.MissingRegistrationTimeout ? InstanceStatus.Stopped : InstanceStatus.Running;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The instance runs on another machine.</exception>
    public async ValueTask StopAsync(LaunchedInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (!DetachedId.TryParse(instance.Id, out var id))
        {
            throw new InvalidOperationException($"'{instance.Id}' is not an instance of a DetachedProcessLauncher.");
        }

        if (!id.IsLocal)
        {
            throw new InvalidOperationException($"Instance {id.Instance} runs on machine '{id.Machine}'; a DetachedProcessLauncher stops processes on its own machine ('{Environment.MachineName}') only.");
        }

        var killed = await DetachedProcesses.StopAsync(id.Pid, id.StartTime, _options.StopTimeout, cancellationToken).ConfigureAwait(false);
        _missingSince.TryRemove(id.Instance, out _);
        File.Delete(PidFile(id.Instance));
        if (killed)
        {
            Log.Killed(_logger, id.Instance, id.Pid, _options.StopTimeout);
        }
        else
        {
            Log.Stopped(_logger, id.Instance, id.Pid);
        }
    }

    private string PidFile(string instanceId) => Path.Combine(_directory, instanceId + ".pid");

    private (int Pid, long StartTime) ReadPidFile(string instanceId)
    {
        try
        {
            var parts = File.ReadAllText(PidFile(instanceId)).Split(' ');
            return (int.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return (0, 0);
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

    private static partial class Log
    {
        [LoggerMessage(1520, LogLevel.Information, "Instance {Instance} started as detached process {Pid} in zone '{Zone}'; waiting for it to register.", EventName = "DetachedInstanceStarted")]
        public static partial void Started(ILogger logger, string instance, int pid, string zone);

        [LoggerMessage(1521, LogLevel.Information, "Instance {Instance} (pid {Pid}) registered {Address}.", EventName = "DetachedInstanceRegistered")]
        public static partial void Registered(ILogger logger, string instance, int pid, Uri address);

        [LoggerMessage(1522, LogLevel.Information, "Instance {Instance} (pid {Pid}), launched by a previous leader, registered {Address}; taken over.", EventName = "DetachedInstanceResumed")]
        public static partial void Resumed(ILogger logger, string instance, int pid, Uri address);

        [LoggerMessage(1523, LogLevel.Information, "Instance {Instance} (pid {Pid}) stopped.", EventName = "DetachedInstanceStopped")]
        public static partial void Stopped(ILogger logger, string instance, int pid);

        [LoggerMessage(1524, LogLevel.Warning, "Instance {Instance} (pid {Pid}) did not exit within {Timeout} of SIGTERM; it was killed.", EventName = "DetachedInstanceKilled")]
        public static partial void Killed(ILogger logger, string instance, int pid, TimeSpan timeout);
    }
}

/// <summary>A detached instance's launcher id: <c>{instance}@{machine}/{pid}/{start time}</c>.</summary>
internal readonly record struct DetachedId(string Instance, string Machine, int Pid, long StartTime)
{
    public bool IsLocal => string.Equals(Machine, Environment.MachineName, StringComparison.Ordinal);

    public static string Format(string instance, int pid, long startTime) =>
        string.Create(CultureInfo.InvariantCulture, $"{instance}@{Environment.MachineName}/{pid}/{startTime}");

    public static bool TryParse(string id, out DetachedId parsed)
    {
        parsed = default;
        var at = id.LastIndexOf('@');
        var parts = at < 0 ? [] : id[(at + 1)..].Split('/');
        if (parts.Length != 3
            || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start))
        {
            return false;
        }

        parsed = new DetachedId(id[..at], parts[0], pid, start);
        return true;
    }
}
