namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Configures one load-balanced service (one pool): its options and the sources of its endpoints. Returned by
/// <see cref="LoadBalancingServiceCollectionExtensions.AddLoadBalancedService"/>; every HttpClient that balances
/// requests to the service shares what is configured here.
/// </summary>
public interface ILoadBalancedServiceBuilder
{
    /// <summary>The logical service name, e.g. <c>catalog</c>.</summary>
    string ServiceName { get; }

    /// <summary>The application's services.</summary>
    IServiceCollection Services { get; }
}
