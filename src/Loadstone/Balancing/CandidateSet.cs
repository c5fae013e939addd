namespace Loadstone;

/// <summary>
/// The endpoints a strategy may choose from for one request, with their effective weights. Immutable and
/// rebuilt by the pool only when membership, weights or health change, so strategies can precompute from it.
/// </summary>
public sealed class CandidateSet
{
    private readonly EndpointState[] _endpoints;
    private readonly double[] _weights;

    internal CandidateSet(EndpointState[] endpoints, double[] weights)
    {
        _endpoints = endpoints;
        _weights = weights;
        var total = 0d;
        var uniform = true;
        for (var i = 0; i < weights.Length; i++)
        {
            total += weights[i];
            uniform &= weights[i] == weights[0];
        }

        TotalWeight = total;
        HasUniformWeights = uniform;
    }

    /// <summary>An empty set.</summary>
    internal static CandidateSet Empty { get; } = new([], []);

    /// <summary>The number of candidates.</summary>
    public int Count => _endpoints.Length;

    /// <summary>The candidate at <paramref name="index"/>, in the order the endpoint sources listed them.</summary>
    /// <param name="index">0 to <see cref="Count"/> − 1.</param>
    public EndpointState this[int index] => _endpoints[index];

    /// <summary>The effective weight of the candidate at <paramref name="index"/>: its endpoint weight, scaled by any ramp.</summary>
    /// <param name="index">0 to <see cref="Count"/> − 1.</param>
    public double GetWeight(int index) => _weights[index];

    /// <summary>The sum of all effective weights.</summary>
    public double TotalWeight { get; }

    /// <summary><see langword="true"/> when every candidate has the same effective weight.</summary>
    public bool HasUniformWeights { get; }

    /// <summary>Whatever the strategy returned from <see cref="ILoadBalancingStrategy.Prepare"/> for this set.</summary>
    public object? StrategyState { get; private set; }

    /// <summary>The strategy whose <see cref="ILoadBalancingStrategy.Prepare"/> made <see cref="StrategyState"/>.</summary>
    internal ILoadBalancingStrategy? PreparedBy { get; private set; }

    /// <summary>Control plane: prepares <paramref name="strategy"/>'s state for this set, once, before the set is published.</summary>
    internal void Prepare(ILoadBalancingStrategy strategy)
    {
        StrategyState = strategy.Prepare(this);
        PreparedBy = strategy;
    }

    internal ReadOnlySpan<EndpointState> Endpoints => _endpoints;

    internal ReadOnlySpan<double> Weights => _weights;
}
