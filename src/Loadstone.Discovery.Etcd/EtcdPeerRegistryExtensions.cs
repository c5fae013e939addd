using Loadstone;
using Loadstone.Discovery.Etcd;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Numbers a service's clients for subsetting through a peer registry in etcd.</summary>
public static class EtcdPeerRegistryExtensions
{
    /// <summary>
    /// Gives subsetting this client's coordinate from a peer registry in etcd (<see cref="EtcdPeerRegistry"/>): the client
    /// claims the lowest free slot under <paramref name="prefix"/> when the host starts, keeps it under a lease, and frees
    /// it when the host stops (or, after a crash, when the lease expires). The pool rebuilds its subset when the
    /// coordinate changes. Use it with <c>Subsetting:Mode</c> set and no <c>ClientIndex</c>/<c>ClientCount</c>.
    /// </summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="prefix">The key prefix every client of the service registers under, e.g. <c>/peers/catalog/</c>.</param>
    /// <param name="configure">Sets the other options; at least one of <see cref="EtcdPeerRegistryOptions.Endpoints"/> is required.</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// Host start-up waits for the slot for at most <see cref="EtcdPeerRegistryOptions.RequestTimeout"/>; if etcd does not
    /// answer by then, the client starts as 0 of 1 and takes its coordinate when it joins. The registry is a keyed
    /// singleton under the service's name.
    /// </remarks>
    public static ILoadBalancedServiceBuilder UseEtcdPeerCoordinates(this ILoadBalancedServiceBuilder builder, string prefix, Action<EtcdPeerRegistryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        ArgumentNullException.ThrowIfNull(configure);
        var serviceName = builder.ServiceName;
        builder.Services.AddKeyedSingleton(serviceName, (sp, _) =>
        {
            var options = new EtcdPeerRegistryOptions { Prefix = prefix };
            configure(options);
            return new EtcdPeerRegistry(serviceName, options, sp.GetService<ILoggerFactory>(), sp.GetService<TimeProvider>());
        });
        builder.Services.AddSingleton<IHostedService>(sp => new EtcdPeerRegistryHostedService(
            sp.GetRequiredKeyedService<EtcdPeerRegistry>(serviceName), sp.GetService<ILoggerFactory>()));
        return builder.UsePeerCoordinates(sp => sp.GetRequiredKeyedService<EtcdPeerRegistry>(serviceName));
    }
}
