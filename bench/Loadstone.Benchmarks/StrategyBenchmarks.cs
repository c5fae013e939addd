using BenchmarkDotNet.Attributes;

namespace Loadstone.Benchmarks;

/// <summary>
/// The cost of choosing an endpoint with each built-in strategy, all weights equal (the common case).
/// <see cref="AcquireComplete"/> is what every request pays: pick, count the request in flight, and on completion
/// record outcome and latency. <see cref="Pick"/> is the strategy alone, as the pool calls it.
/// </summary>
[MemoryDiagnoser]
public class StrategyBenchmarks
{
    private ServicePool _pool = null!;
    private ILoadBalancingStrategy _strategy = null!;
    private CandidateSet _candidates = null!;

    public static IEnumerable<string> Strategies => LoadBalancingStrategies.BuiltIn;

    [ParamsSource(nameof(Strategies))]
    public string Strategy { get; set; } = LoadBalancingStrategies.RoundRobin;

    [Params(3, 100, 1000)]
    public int Endpoints { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pool = Pools.Create(Strategy, Endpoints);
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
