using System.Runtime.CompilerServices;

namespace Loadstone;

/// <summary>
/// A base for strategies that precompute something per candidate set (cumulative weights, a schedule): the prepared
/// state is typed, built by <see cref="Prepare"/> on the control plane and handed to <see cref="Pick"/> on the request
/// path, so a strategy never casts or re-derives it.
/// </summary>
/// <typeparam name="TPrepared">What <see cref="Prepare"/> computes for one candidate set.</typeparam>
public abstract class LoadBalancingStrategy<TPrepared> : ILoadBalancingStrategy
    where TPrepared : class
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>
    /// Precomputes what <see cref="Pick"/> needs for a new candidate set. Runs on the control plane, once per set.
    /// </summary>
    /// <param name="candidates">The new set; never empty.</param>
    /// <returns>The prepared state; <see langword="null"/> when this set needs none.</returns>
    protected abstract TPrepared? Prepare(CandidateSet candidates);

    /// <summary>Chooses a candidate. Runs on the request path: it must not block, lock or allocate.</summary>
    /// <param name="candidates">The candidates; never empty.</param>
    /// <param name="prepared">What <see cref="Prepare"/> returned for <paramref name="candidates"/>.</param>
    /// <param name="request">The request being routed, or <see langword="null"/> for a non-HTTP lease.</param>
    /// <returns>The index of the chosen candidate, from 0 to <c>candidates.Count − 1</c>.</returns>
    protected abstract int Pick(CandidateSet candidates, TPrepared? prepared, HttpRequestMessage? request);

    object? ILoadBalancingStrategy.Prepare(CandidateSet candidates) => Prepare(candidates);

    int ILoadBalancingStrategy.Pick(CandidateSet candidates, HttpRequestMessage? request)
    {
        var state = candidates.StrategyState;
        // A set this very strategy prepared holds a TPrepared or null, so the checked cast, which in shared generic code
        // looks the type up on every pick, is needed only for a set prepared by something else (a composite strategy
        // handing its own set to another); that cast fails loudly instead of misreading the state.
        return Pick(candidates, ReferenceEquals(candidates.PreparedBy, this) ? Unsafe.As<TPrepared>(state) : (TPrepared?)state, request);
    }
}
