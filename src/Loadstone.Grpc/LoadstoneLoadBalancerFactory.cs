using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loadstone.Grpc;

/// <summary>
/// Creates the <c>loadstone</c> load-balancing policy: one subchannel per endpoint, each call's endpoint chosen by the
/// pool and leased until the call ends. Works with the <c>loadstone</c> resolver, which selects it.
/// </summary>
public sealed class LoadstoneLoadBalancerFactory : LoadBalancerFactory
{
    /// <inheritdoc />
    public override string Name => GrpcLoadBalancing.PolicyName;

    /// <inheritdoc />
    public override LoadBalancer Create(LoadBalancerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new LoadstoneBalancer(options.Controller, options.LoggerFactory ?? NullLoggerFactory.Instance);
    }
}
