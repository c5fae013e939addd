namespace Loadstone.Scaling;

/// <summary>The launcher's own view of an instance, like EC2 status checks.</summary>
public enum InstanceStatus
{
    /// <summary>Running and passing the launcher's checks.</summary>
    Running,

    /// <summary>Running but failing the launcher's checks; unhealthy once the grace period is over.</summary>
    Impaired,

    /// <summary>No longer running (the process exited, the VM was terminated); unhealthy at once, even in the grace period.</summary>
    Stopped,
}
