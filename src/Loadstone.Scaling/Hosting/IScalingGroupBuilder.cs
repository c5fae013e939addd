namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Configures the scaling group of one load-balanced service: what it runs with besides its settings (the launcher,
/// the random source, the balancer's health view, a coordinator). Returned by <c>AddScalingGroup</c>; it is also the
/// service's builder, so the service's own methods (<c>AddEndpointSource</c>, <c>Configure</c>, ...) chain on it.
/// </summary>
public interface IScalingGroupBuilder : ILoadBalancedServiceBuilder
{
}
