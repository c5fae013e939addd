using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace Loadstone.Benchmarks;

/// <summary>
/// Where the time of <c>Acquire</c> + <c>Complete</c> goes, piece by piece, with the cheapest strategy
/// (FirstAvailable, whose pick is a constant): the clock reads a lease takes, the atomic counter updates, the
/// latency average's exponential, and the whole round trip for comparison.
/// </summary>
[MemoryDiagnoser]
public class AcquireCostBenchmarks
{
    private ServicePool _pool = null!;
    private EndpointState _state = null!;
    private int _counter;
    private double _x = -0.001;

    [GlobalSetup]
    public void Setup()
    {
        _pool = Pools.Create(LoadBalancingStrategies.FirstAvailable, 3);
        _state = _pool.Snapshot.Candidates[0];
    }

    [GlobalCleanup]
    public void Cleanup() => _pool.Dispose();

    [Benchmark(Baseline = true)]
    public EndpointState AcquireComplete()
    {
        var lease = _pool.Acquire();
        lease.Complete(RequestOutcome.Success);
        return lease.State;
    }

    [Benchmark]
    public long StopwatchTimestamp() => Stopwatch.GetTimestamp();

    [Benchmark]
    public long TimeProviderTimestamp() => _pool.TimeProvider.GetTimestamp();

    [Benchmark]
    public int InterlockedIncrement() => Interlocked.Increment(ref _counter);

    [Benchmark]
    public double Exp() => Math.Exp(_x);

    [Benchmark]
    public long StateStartComplete()
    {
        var start = Stopwatch.GetTimestamp();
        _state.OnStart();
        _state.OnComplete(start, start + 1000, RequestOutcome.Success);
        return start;
    }
}
