using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.Logging;

namespace Loadstone.Grpc;

/// <summary>
/// Resolves <c>loadstone:///{service}</c> to the members of the service's pool (draining endpoints excluded), each address
/// carrying the pool and the endpoint's id, with a service config that selects the <c>loadstone</c> policy. Watches the
/// pool's membership (a cheap look at its snapshot every <see cref="MembershipCheckPeriod"/>, and whenever the channel
/// asks for a refresh) and publishes a new address list when it changes.
/// </summary>
internal sealed class LoadstoneResolver : PollingResolver
{
    internal static readonly TimeSpan MembershipCheckPeriod = TimeSpan.FromSeconds(1);

    private readonly ServicePool _pool;
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private IReadOnlyList<EndpointState>? _published;
    private string[] _publishedIds = [];

    public LoadstoneResolver(ServicePool pool, ILoggerFactory loggerFactory)
        : base(loggerFactory)
    {
        _pool = pool;
    }

    protected override void OnStarted() =>
        _timer = _pool.TimeProvider.CreateTimer(static s => ((LoadstoneResolver)s!).CheckMembership(), this, MembershipCheckPeriod, MembershipCheckPeriod);

    protected override async Task ResolveAsync(CancellationToken cancellationToken)
    {
        await _pool.InitializeAsync(cancellationToken).ConfigureAwait(false);
        var endpoints = _pool.Endpoints;
        var addresses = new List<BalancerAddress>(endpoints.Count);
        var ids = new List<string>(endpoints.Count);
        foreach (var state in endpoints)
        {
            if (state.Health == EndpointHealth.Draining)
            {
                continue;
            }

            var address = new BalancerAddress(state.Endpoint.Address.IdnHost, state.Endpoint.Address.Port);
            address.Attributes.Set(LoadstoneBalancer.PoolKey, _pool);
            address.Attributes.Set(LoadstoneBalancer.EndpointKey, state.Endpoint.Id);
            addresses.Add(address);
            ids.Add(state.Endpoint.Id);
        }

        lock (_gate)
        {
            _published = endpoints;
            _publishedIds = [.. ids];
        }

        if (addresses.Count == 0)
        {
            Listener(ResolverResult.ForFailure(new Status(StatusCode.Unavailable, $"Service '{_pool.ServiceName}' has no endpoints.")));
            return;
        }

        var config = new ServiceConfig { LoadBalancingConfigs = { new LoadBalancingConfig(GrpcLoadBalancing.PolicyName) } };
        Listener(ResolverResult.ForResult(addresses, config, Status.DefaultSuccess));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _timer?.Dispose();
        }

        base.Dispose(disposing);
    }

    // A new snapshot is published on every health change too; refresh only when the members are different.
    private void CheckMembership()
    {
        var endpoints = _pool.Endpoints;
        lock (_gate)
        {
            if (ReferenceEquals(endpoints, _published))
            {
                return;
            }

            var ids = endpoints.Where(e => e.Health != EndpointHealth.Draining).Select(e => e.Endpoint.Id);
            if (ids.SequenceEqual(_publishedIds, StringComparer.Ordinal))
            {
                _published = endpoints;
                return;
            }
        }

        Refresh();
    }
}
