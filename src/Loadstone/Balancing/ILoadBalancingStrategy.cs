namespace Loadstone;

/// <summary>
/// Chooses one endpoint out of a <see cref="CandidateSet"/> for each request. One instance serves one
/// <see cref="ServicePool"/>, so it may keep per-pool state (a counter, a random source).
/// </summary>
/// <remarks>
/// <see cref="Pick"/> runs on the request path, concurrently, for every request: it must not block, lock or
/// allocate. Heavy work belongs in <see cref="Prepare"/>, which runs once per candidate set on the control plane.
/// Register a custom strategy by name with <c>services.AddLoadBalancingStrategy(name, factory)</c> so configuration can
/// select it, or build it for one service in code (<c>AddLoadBalancedService(...).UseStrategy(factory)</c>, or
/// <see cref="ServicePoolDependencies.StrategyFactory"/> without a container). Derive from
/// <see cref="LoadBalancingStrategy{TPrepared}"/> for a typed prepared state.
/// </remarks>
public interface ILoadBalancingStrategy
{
    /// <summary>The name configuration uses to select this strategy, e.g. <c>PowerOfTwoChoices</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Precomputes whatever <see cref="Pick"/> needs for a new candidate set. The result is stored in
    /// <see cref="CandidateSet.StrategyState"/>. The default precomputes nothing.
    /// </summary>
    /// <param name="candidates">The new set; never empty.</param>
    object? Prepare(CandidateSet candidates) => null;

    /// <summary>Chooses a candidate.</summary>
    /// <param name="candidates">The candidates; never empty.</param>
    /// <param name="request">The request being routed, or <see langword="null"/> for a non-HTTP lease.</param>
    /// <returns>The index of the chosen candidate, from 0 to <c>candidates.Count − 1</c>.</returns>
    int Pick(CandidateSet candidates, HttpRequestMessage? request);
}
