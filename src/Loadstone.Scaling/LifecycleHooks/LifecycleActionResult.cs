namespace Loadstone.Scaling;

/// <summary>How a lifecycle action ends.</summary>
public enum LifecycleActionResult
{
    /// <summary>Go on: the launch enters service, or the termination proceeds.</summary>
    Continue,

    /// <summary>Give up: a launch is terminated (and replaced); a termination proceeds, skipping other hooks.</summary>
    Abandon,
}
