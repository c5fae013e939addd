using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loadstone.Grpc;

/// <summary>The names by which Grpc.Net.Client finds Loadstone's resolver and load-balancing policy.</summary>
public static class GrpcLoadBalancing
{
    /// <summary>The resolver's scheme: a channel address <c>loadstone:///catalog</c> resolves to the pool of service <c>catalog</c>.</summary>
    public const string Scheme = "loadstone";

    /// <summary>The load-balancing policy's name, selected by the resolver's service config.</summary>
    public const string PolicyName = "loadstone";

    /// <summary>The service name in a <c>loadstone:///catalog</c> (or <c>loadstone://catalog</c>) address.</summary>
    internal static string ServiceName(Uri address)
    {
        var name = string.IsNullOrEmpty(address.Host) ? address.AbsolutePath.Trim('/') : address.Host;
        return string.IsNullOrEmpty(name)
            ? throw new InvalidOperationException($"The address '{address}' names no service; write {Scheme}:///catalog.")
            : name;
    }
}

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
