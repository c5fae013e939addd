namespace Loadstone.Scaling;

/// <summary>The result of <see cref="ScalingGroup.ExecutePolicy"/> or <see cref="ScalingGroup.SetDesiredCapacity"/>.</summary>
/// <param name="Executed">Whether the desired capacity was (re)set; <see langword="false"/> when refused (cooldown, activity, suspended).</param>
/// <param name="PreviousDesiredCapacity">The desired capacity before.</param>
/// <param name="DesiredCapacity">The desired capacity after.</param>
/// <param name="Reason">Why, in words.</param>
public sealed record ScalingPolicyResult(bool Executed, int PreviousDesiredCapacity, int DesiredCapacity, string Reason);
