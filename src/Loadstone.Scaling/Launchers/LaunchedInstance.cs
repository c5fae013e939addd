namespace Loadstone.Scaling;

/// <summary>One instance as a launcher started it: its identity, endpoint, zone and launch template version.</summary>
public sealed class LaunchedInstance
{
    /// <summary>Creates the description of a started instance.</summary>
    /// <param name="id">A unique identifier, e.g. a process id or VM id.</param>
    /// <param name="endpoint">Where the instance listens; its zone should match <paramref name="zone"/>.</param>
    /// <param name="zone">The zone the instance runs in, or <see langword="null"/>.</param>
    /// <param name="launchTemplateVersion">The launcher's version that started it.</param>
    /// <param name="handle">Anything the launcher needs to stop it later (a process, a VM id).</param>
    public LaunchedInstance(string id, LoadBalancedEndpoint endpoint, string? zone, int launchTemplateVersion, object? handle = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(endpoint);
        Id = id;
        Endpoint = endpoint;
        Zone = zone;
        LaunchTemplateVersion = launchTemplateVersion;
        Handle = handle;
    }

    /// <summary>The launcher's identifier of the instance.</summary>
    public string Id { get; }

    /// <summary>Where the instance listens.</summary>
    public LoadBalancedEndpoint Endpoint { get; }

    /// <summary>The zone the instance runs in, or <see langword="null"/>.</summary>
    public string? Zone { get; }

    /// <summary>The launch template version that started the instance.</summary>
    public int LaunchTemplateVersion { get; }

    /// <summary>The launcher's private handle; the group never reads it.</summary>
    public object? Handle { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Id} {Endpoint}";
}
