namespace Loadstone.Scaling.Etcd;

/// <summary>
/// What a <see cref="DetachedProcessLauncher"/> runs for each instance: a command with arguments and environment, with
/// <c>{port}</c>, <c>{host}</c>, <c>{zone}</c> and <c>{instance}</c> replaced in <see cref="Arguments"/> and
/// <see cref="Environment"/> values. Every process also gets <c>LOADSTONE_ETCD</c> (the etcd client URLs, comma
/// separated), <c>LOADSTONE_PREFIX</c> (the key prefix to register under), <c>LOADSTONE_INSTANCE_ID</c> (the key after
/// the prefix), <c>LOADSTONE_ZONE</c>, <c>LOADSTONE_PORT</c> and <c>LOADSTONE_HOST</c>: the instance registers itself
/// with <c>AddEtcdRegistration</c> from them.
/// </summary>
public sealed class DetachedProcessLauncherOptions
{
    /// <summary>The default <see cref="ReadinessTimeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultReadinessTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The default <see cref="StopTimeout"/>: 15 seconds.</summary>
    public static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The default <see cref="MissingRegistrationTimeout"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultMissingRegistrationTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The program to run, e.g. <c>dotnet</c> or a path to an executable. Required.</summary>
    public string? FileName { get; set; }

    /// <summary>The arguments, one per item (no shell quoting needed), with placeholders.</summary>
    public IList<string> Arguments { get; } = [];

    /// <summary>Extra environment variables, with placeholders in their values.</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The working directory; <see langword="null"/> (the default) for the current one.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>The address the instances listen on and register. The default is <c>127.0.0.1</c>.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>
    /// Where each instance's output (<c>{instance}.log</c>) and process id (<c>{instance}.pid</c>) are written; a launcher
    /// of the group on the same machine finds the process there after a failover. The default, <see langword="null"/>,
    /// is <c>loadstone-instances/{group}</c> under the temporary directory.
    /// </summary>
    public string? StateDirectory { get; set; }

    /// <summary>
    /// How long a launch may take until the instance has registered itself; after that the launch fails and the process
    /// is killed. The default is 30 s; the range is 1 s to 10 min.
    /// </summary>
    public TimeSpan ReadinessTimeout { get; set; } = DefaultReadinessTimeout;

    /// <summary>
    /// How long a stop waits after SIGTERM (the instance deletes its key, drains, and exits) before SIGKILL. The default
    /// is 15 s; the range is 0 to 5 min.
    /// </summary>
    public TimeSpan StopTimeout { get; set; } = DefaultStopTimeout;

    /// <summary>
    /// How long an instance's registration may be missing (while it re-registers after an etcd outage, say) before the
    /// launcher reports it <see cref="InstanceStatus.Stopped"/>; a process that exited is reported at once. The default
    /// is 10 s; the range is 0 to 10 min.
    /// </summary>
    public TimeSpan MissingRegistrationTimeout { get; set; } = DefaultMissingRegistrationTimeout;

    /// <summary>The launch template version of instances started with these options. The default is 1; at least 1.</summary>
    public int LaunchTemplateVersion { get; set; } = 1;

    internal List<string> Problems()
    {
        var p = new List<string>();
        if (string.IsNullOrWhiteSpace(FileName))
        {
            p.Add("DetachedProcessLauncherOptions.FileName is required.");
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            p.Add("DetachedProcessLauncherOptions.Host is required.");
        }

        Range(p, nameof(ReadinessTimeout), ReadinessTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Range(p, nameof(StopTimeout), StopTimeout, TimeSpan.Zero, TimeSpan.FromMinutes(5));
        Range(p, nameof(MissingRegistrationTimeout), MissingRegistrationTimeout, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        if (LaunchTemplateVersion < 1)
        {
            p.Add($"DetachedProcessLauncherOptions.LaunchTemplateVersion ({LaunchTemplateVersion}) must be at least 1.");
        }

        return p;

        static void Range(List<string> p, string name, TimeSpan value, TimeSpan min, TimeSpan max)
        {
            if (value < min || value > max)
            {
                p.Add($"DetachedProcessLauncherOptions.{name} ({value}) must be between {min} and {max}.");
            }
        }
    }
}
