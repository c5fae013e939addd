namespace Loadstone.Benchmarks;

/// <summary>Builds pools without a container, the way a DI-free application would.</summary>
internal static class Pools
{
    /// <summary>
    /// A pool of <paramref name="count"/> endpoints at distinct addresses (10.0.x.y:8080). With
    /// <paramref name="weighted"/>, weights cycle through 1 to 10 so the weighted code paths (binary searches) run.
    /// </summary>
    public static ServicePool Create(string strategy, int count, bool weighted = false, string serviceName = "catalog")
    {
        var options = new LoadBalancingOptions { Strategy = strategy };
        for (var i = 0; i < count; i++)
        {
            var weight = weighted ? (i % 10) + 1 : 1;
            options.Endpoints.Add(new LoadBalancedEndpoint($"http://10.0.{i / 250}.{(i % 250) + 1}:8080", weight: weight));
        }

        var pool = new ServicePool(serviceName, options);
        pool.InitializeAsync().GetAwaiter().GetResult();
        return pool;
    }
}
