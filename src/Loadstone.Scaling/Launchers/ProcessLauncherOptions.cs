namespace Loadstone.Scaling;

/// <summary>
/// What a <see cref="ProcessInstanceLauncher"/> runs for each instance: a command with arguments and environment, a
/// free port and the zone passed in, a readiness check, and how to stop it. In <see cref="Arguments"/> and
/// <see cref="Environment"/> values, <c>{port}</c>, <c>{host}</c>, <c>{zone}</c> and <c>{instance}</c> are replaced.
/// </summary>
/// <remarks>
/// Every process also gets the variables <c>LOADSTONE_PORT</c>, <c>LOADSTONE_HOST</c>, <c>LOADSTONE_ZONE</c> and
/// <c>LOADSTONE_INSTANCE_ID</c>. For an ASP.NET Core app, add <c>ASPNETCORE_URLS = http://{host}:{port}</c>.
/// </remarks>
public sealed class ProcessLauncherOptions
{
    /// <summary>The program to run, e.g. <c>dotnet</c> or a path to an executable.</summary>
    public required string FileName { get; set; }

    /// <summary>The arguments, one per item (no shell quoting needed), with placeholders.</summary>
    public IList<string> Arguments { get; } = [];

    /// <summary>Extra environment variables, with placeholders in their values.</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The working directory; <see langword="null"/> (the default) for the current one.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>
    /// The loopback or local address the instance listens on, used in its endpoint. The default is
    /// <see cref="ProcessLauncherDefaults.Host"/> (<c>127.0.0.1</c>).
    /// </summary>
    public string Host { get; set; } = ProcessLauncherDefaults.Host;

    /// <summary>
    /// The path probed with GET until it answers 2xx, before the instance counts as launched; <see langword="null"/> or
    /// empty to wait only until the port accepts connections. The default is <see cref="ProcessLauncherDefaults.ReadinessPath"/>
    /// (<c>/health</c>).
    /// </summary>
    public string? ReadinessPath { get; set; } = ProcessLauncherDefaults.ReadinessPath;

    /// <summary>
    /// How long a launch may take to become ready before it is killed and fails. The default is
    /// <see cref="ProcessLauncherDefaults.ReadinessTimeout"/> (30 s); the range is 1 s to 10 min.
    /// </summary>
    public TimeSpan ReadinessTimeout { get; set; } = ProcessLauncherDefaults.ReadinessTimeout;

    /// <summary>
    /// The pause between readiness probes. The default is <see cref="ProcessLauncherDefaults.ReadinessProbeInterval"/>
    /// (100 ms); the range is 10 ms to 10 s.
    /// </summary>
    public TimeSpan ReadinessProbeInterval { get; set; } = ProcessLauncherDefaults.ReadinessProbeInterval;

    /// <summary>
    /// How long a stop waits after asking the process to exit (SIGTERM on Unix) before killing its whole process tree.
    /// The default is <see cref="ProcessLauncherDefaults.StopTimeout"/> (10 s); the range is 0 to 5 min. On Windows the
    /// process tree is killed at once.
    /// </summary>
    public TimeSpan StopTimeout { get; set; } = ProcessLauncherDefaults.StopTimeout;

    /// <summary>
    /// The launch template version reported for instances started with these options. The default is
    /// <see cref="ProcessLauncherDefaults.LaunchTemplateVersion"/> (1); at least 1.
    /// </summary>
    public int LaunchTemplateVersion { get; set; } = ProcessLauncherDefaults.LaunchTemplateVersion;

    internal List<string> Problems()
    {
        var p = new List<string>();
        if (string.IsNullOrWhiteSpace(FileName))
        {
            p.Add("ProcessLauncherOptions.FileName is required.");
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            p.Add("ProcessLauncherOptions.Host is required.");
        }

        if (ReadinessTimeout < TimeSpan.FromSeconds(1) || ReadinessTimeout > TimeSpan.FromMinutes(10))
        {
            p.Add($"ProcessLauncherOptions.ReadinessTimeout ({ReadinessTimeout}) must be between 1 s and 10 min.");
        }

        if (ReadinessProbeInterval < TimeSpan.FromMilliseconds(10) || ReadinessProbeInterval > TimeSpan.FromSeconds(10))
        {
            p.Add($"ProcessLauncherOptions.ReadinessProbeInterval ({ReadinessProbeInterval}) must be between 10 ms and 10 s.");
        }

        if (StopTimeout < TimeSpan.Zero || StopTimeout > TimeSpan.FromMinutes(5))
        {
            p.Add($"ProcessLauncherOptions.StopTimeout ({StopTimeout}) must be between 0 and 5 min.");
        }

        if (LaunchTemplateVersion < 1)
        {
            p.Add($"ProcessLauncherOptions.LaunchTemplateVersion ({LaunchTemplateVersion}) must be at least 1.");
        }

        if (ReadinessPath is { Length: > 0 } path && !path.StartsWith('/'))
        {
            p.Add($"ProcessLauncherOptions.ReadinessPath ('{path}') must start with '/'.");
        }

        return p;
    }
}
