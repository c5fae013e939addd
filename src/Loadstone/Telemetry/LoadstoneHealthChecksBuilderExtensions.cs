using Loadstone;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the balancer's pools to ASP.NET Core health checks.</summary>
public static class LoadstoneHealthChecksBuilderExtensions
{
    /// <summary>
    /// Reports each load-balanced service's pool: Unhealthy when no endpoint can take traffic, Degraded when a pool fails
    /// open or fewer than <paramref name="degradedBelowPercent"/> of its endpoints are healthy, Healthy otherwise.
    /// The result's data lists every pool as "healthy/total healthy".
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. The default is <c>loadstone</c>.</param>
    /// <param name="degradedBelowPercent">The healthy percentage below which a pool is Degraded, 0 to 100. The default is 50.</param>
    /// <param name="tags">Tags for filtering checks, e.g. <c>ready</c>.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddLoadBalancerPools(this IHealthChecksBuilder builder, string name = "loadstone",
        int degradedBelowPercent = 50, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfNegative(degradedBelowPercent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(degradedBelowPercent, 100);
        builder.Services.AddLoadBalancing();
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new ServicePoolHealthCheck(sp.GetRequiredService<ServicePoolRegistry>(), degradedBelowPercent),
            failureStatus: null,
            tags));
    }
}
