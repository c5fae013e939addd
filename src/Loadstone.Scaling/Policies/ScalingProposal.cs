namespace Loadstone.Scaling;

/// <summary>A policy's proposed desired capacity and why; a simple policy's proposal starts a cooldown once applied.</summary>
/// <param name="Capacity">The proposed desired capacity, already within [min, max].</param>
/// <param name="Cause">Who proposes it, for the activity's cause.</param>
/// <param name="Simple">The simple policy that proposes it, or <see langword="null"/>.</param>
/// <param name="Refused">Whether the proposal is a refusal (cooldown, no step), with <paramref name="Cause"/> as the reason.</param>
internal readonly record struct ScalingProposal(int Capacity, string Cause, SimpleScalingPolicy? Simple, bool Refused = false);
