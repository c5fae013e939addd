namespace Loadstone.Discovery;

/// <summary>Comparisons of endpoint lists. Shared source file of the discovery packages.</summary>
internal static class EndpointSets
{
    /// <summary>
    /// Whether two lists describe the same endpoints with the same attributes, in the same order: a source that finds
    /// nothing new does not make the pool rebuild its snapshot.
    /// </summary>
    public static bool Same(IReadOnlyList<LoadBalancedEndpoint>? a, IReadOnlyList<LoadBalancedEndpoint>? b)
    {
        if (a is null || b is null)
        {
            return ReferenceEquals(a, b);
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (!Same(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    public static bool Same(LoadBalancedEndpoint x, LoadBalancedEndpoint y) =>
        x.Equals(y)
        && x.Weight == y.Weight
        && string.Equals(x.Zone, y.Zone, StringComparison.Ordinal)
        && string.Equals(x.Name, y.Name, StringComparison.Ordinal)
        && string.Equals(x.HostName, y.HostName, StringComparison.Ordinal)
        && x.Metadata.Count == y.Metadata.Count
        && x.Metadata.All(kv => y.Metadata.TryGetValue(kv.Key, out var v) && string.Equals(kv.Value, v, StringComparison.Ordinal));
}
