using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loadstone.Grpc;

/// <summary>
/// Creates the resolver of <c>loadstone:///{service}</c> addresses: the members of the service's pool. Register it (with
/// <see cref="LoadstoneLoadBalancerFactory"/>) in the services the channel resolves from
/// (<c>GrpcChannelOptions.ServiceProvider</c>); <c>AddGrpcLoadBalancing</c> does it.
/// </summary>
public sealed class LoadstoneResolverFactory : ResolverFactory
{
    private readonly Func<string, ServicePool> _pools;

    /// <summary>Resolves the services of a container's (or an application's) registry.</summary>
    /// <param name="registry">The pools.</param>
    public LoadstoneResolverFactory(ServicePoolRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _pools = registry.GetPool;
    }

    /// <summary>Resolves one pool, whatever service the address names.</summary>
    /// <param name="pool">The pool.</param>
    public LoadstoneResolverFactory(ServicePool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pools = _ => pool;
    }

    /// <inheritdoc />
    public override string Name => GrpcLoadBalancing.Scheme;

    /// <inheritdoc />
    public override Resolver Create(ResolverOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new LoadstoneResolver(_pools(GrpcLoadBalancing.ServiceName(options.Address)), options.LoggerFactory ?? NullLoggerFactory.Instance);
    }
}
