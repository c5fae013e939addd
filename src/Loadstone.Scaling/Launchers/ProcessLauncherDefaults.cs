namespace Loadstone.Scaling;

/// <summary>The default values of <see cref="ProcessLauncherOptions"/>, referred to by its settings' documentation.</summary>
public static class ProcessLauncherDefaults
{
    /// <summary>The default <see cref="ProcessLauncherOptions.Host"/>: <c>127.0.0.1</c>.</summary>
    public const string Host = "127.0.0.1";

    /// <summary>The default <see cref="ProcessLauncherOptions.ReadinessPath"/>: <c>/health</c>.</summary>
    public const string ReadinessPath = "/health";

    /// <summary>The default <see cref="ProcessLauncherOptions.LaunchTemplateVersion"/>: 1.</summary>
    public const int LaunchTemplateVersion = 1;

    /// <summary>The default <see cref="ProcessLauncherOptions.ReadinessTimeout"/>: 30 s.</summary>
    public static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The default <see cref="ProcessLauncherOptions.ReadinessProbeInterval"/>: 100 ms.</summary>
    public static readonly TimeSpan ReadinessProbeInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The default <see cref="ProcessLauncherOptions.StopTimeout"/>: 10 s.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
}
