namespace Loadstone;

/// <summary>The first candidate in source order: ordered failover.</summary>
internal sealed class FirstAvailableStrategy : ILoadBalancingStrategy
{
    public string Name => LoadBalancingStrategies.FirstAvailable;

    public int Pick(CandidateSet candidates, HttpRequestMessage? request) => 0;
}
