using System.Collections.ObjectModel;

namespace Loadstone;

/// <summary>The endpoints of a service given in code, in order.</summary>
public sealed class EndpointCollection : Collection<LoadBalancedEndpoint>
{
    /// <summary>Adds an endpoint by address.</summary>
    /// <param name="address">An absolute http or https URI, e.g. <c>http://10.0.1.5:8080</c>.</param>
    /// <param name="zone">The endpoint's availability zone, or <see langword="null"/>.</param>
    /// <param name="weight">The relative share of traffic, 0 to 10,000; the default is 1.</param>
    /// <returns>The endpoint added.</returns>
    /// <exception cref="ArgumentException">The address or weight is not valid.</exception>
    public LoadBalancedEndpoint Add(string address, string? zone = null, int weight = LoadBalancedEndpoint.DefaultWeight)
    {
        var endpoint = new LoadBalancedEndpoint(address, zone, weight);
        Add(endpoint);
        return endpoint;
    }

    /// <inheritdoc />
    protected override void InsertItem(int index, LoadBalancedEndpoint item)
    {
        ArgumentNullException.ThrowIfNull(item);
        base.InsertItem(index, item);
    }

    /// <inheritdoc />
    protected override void SetItem(int index, LoadBalancedEndpoint item)
    {
        ArgumentNullException.ThrowIfNull(item);
        base.SetItem(index, item);
    }
}
