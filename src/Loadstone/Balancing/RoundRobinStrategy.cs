namespace Loadstone;

/// <summary>Each candidate in turn, ignoring weights: a shared counter, no lock.</summary>
internal sealed class RoundRobinStrategy : ILoadBalancingStrategy
{
    private uint _next = uint.MaxValue;

    public string Name => LoadBalancingStrategies.RoundRobin;

    public int Pick(CandidateSet candidates, HttpRequestMessage? request) =>
        (int)(Interlocked.Increment(ref _next) % (uint)candidates.Count);
}
