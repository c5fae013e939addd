using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;

namespace Loadstone.Grpc;

/// <summary>Creates Grpc.Net.Client channels balanced by a Loadstone pool, for use without a container.</summary>
public static class LoadBalancedGrpcChannel
{
    /// <summary>
    /// A channel to <c>loadstone:///{service}</c> whose calls the pool balances with the <c>loadstone</c> policy: one
    /// subchannel per endpoint, a lease per call completed when the call ends.
    /// </summary>
    /// <param name="pool">The service's pool. The channel does not dispose it.</param>
    /// <param name="options">
    /// Further channel options (retry policy, message sizes, credentials); optional. Its <c>HttpHandler</c>, when set, is
    /// used below the call tracking handler (the default is a <see cref="SocketsHttpHandler"/> with multiple HTTP/2
    /// connections) and is disposed with the channel; its <c>ServiceProvider</c> is kept for every other service. Without
    /// <c>Credentials</c>, the channel uses TLS when the pool lists an https endpoint, and h2c otherwise.
    /// </param>
    /// <returns>The channel; dispose it when done.</returns>
    public static GrpcChannel Create(ServicePool pool, GrpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        options ??= new GrpcChannelOptions();
        options.Credentials ??= CredentialsFor(pool);
        options.ServiceProvider = new Services(options.ServiceProvider, new LoadstoneResolverFactory(pool));
        options.HttpHandler = new GrpcCallTrackingHandler(options.HttpHandler ?? new SocketsHttpHandler { EnableMultipleHttp2Connections = true });
        options.DisposeHttpClient = true;
        return GrpcChannel.ForAddress($"{GrpcLoadBalancing.Scheme}:///{pool.ServiceName}", options);
    }

    /// <summary>TLS when the pool lists an https endpoint; otherwise cleartext HTTP/2 (h2c).</summary>
    internal static ChannelCredentials CredentialsFor(ServicePool pool) =>
        pool.Endpoints.Any(e => e.Endpoint.Address.Scheme == Uri.UriSchemeHttps) ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure;

    /// <summary>Gives the channel Loadstone's resolver and policy, and defers anything else to the caller's services.</summary>
    private sealed class Services(IServiceProvider? inner, ResolverFactory resolver) : IServiceProvider
    {
        private readonly ResolverFactory[] _resolvers = [resolver];
        private readonly LoadBalancerFactory[] _balancers = [new LoadstoneLoadBalancerFactory()];

        public object? GetService(Type serviceType) =>
            serviceType == typeof(IEnumerable<ResolverFactory>) ? _resolvers.Concat(inner?.GetService(serviceType) as IEnumerable<ResolverFactory> ?? []).ToArray()
            : serviceType == typeof(IEnumerable<LoadBalancerFactory>) ? _balancers.Concat(inner?.GetService(serviceType) as IEnumerable<LoadBalancerFactory> ?? []).ToArray()
            : inner?.GetService(serviceType);
    }
}
