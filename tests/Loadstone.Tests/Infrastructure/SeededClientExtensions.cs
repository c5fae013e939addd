using Microsoft.Extensions.DependencyInjection;

namespace Loadstone.Tests;

/// <summary>Registrations of the container tests whose picks must repeat from run to run.</summary>
internal static class SeededClientExtensions
{
    /// <summary>
    /// A load-balanced client for <paramref name="service"/> whose pool draws from <c>new Random(seed)</c>: its picks
    /// repeat exactly as long as they are sequential (a seeded <see cref="Random"/> is not thread-safe).
    /// </summary>
    public static IHttpClientBuilder AddSeededLoadBalancedHttpClient(this IServiceCollection services, string service, int seed,
        Action<LoadBalancingOptions>? configure = null)
    {
        services.AddLoadBalancedService(service).UseRandom(new Random(seed));
        return services.AddLoadBalancedHttpClient(service, configure);
    }
}
