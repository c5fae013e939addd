using BenchmarkDotNet.Attributes;

namespace Loadstone.Benchmarks;

/// <summary>
/// The strategies whose cost depends on weights, with unequal weights (1 to 10): weighted Random binary-searches
/// the cumulative weights (O(log n)); WeightedRoundRobin binary-searches its schedule's segments (O(log d), d the
/// number of distinct weights); the two-choices strategies divide by the weights (O(1)).
/// </summary>
[MemoryDiagnoser]
public class WeightedStrategyBenchmarks
{
    private ServicePool _pool = null!;
    private ILoadBalancingStrategy _strategy = null!;
    private CandidateSet _candidates = null!;

    public static IEnumerable<string> Strategies =>
    [
        LoadBalancingStrategies.Random,
        LoadBalancingStrategies.WeightedRoundRobin,
        LoadBalancingStrategies.PowerOfTwoChoices,
        LoadBalancingStrategies.PeakEwma,
    ];

    [ParamsSource(nameof(Strategies))]
    public string Strategy { get; set; } = LoadBalancingStrategies.Random;

    [Params(3, 100, 1000)]
    public int Endpoints { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pool = Pools.Create(Strategy, Endpoints, weighted: true);
        _strategy = _pool.Snapshot.Strategy;
        _candidates = _pool.Snapshot.Candidates;
    }

    [GlobalCleanup]
    public void Cleanup() => _pool.Dispose();

    [Benchmark]
    public EndpointState AcquireComplete()
    {
        var lease = _pool.Acquire();
        lease.Complete(RequestOutcome.Success);
        return lease.State;
    }

    [Benchmark]
    public int Pick() => _strategy.Pick(_candidates, null);
}
