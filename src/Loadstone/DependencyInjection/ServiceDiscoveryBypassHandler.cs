namespace Loadstone;

/// <summary>
/// Stands where Microsoft.Extensions.ServiceDiscovery's handler was, just outside the <see cref="LoadBalancingHandler"/>:
/// a request to a service Loadstone balances goes straight on (Loadstone resolves and balances it, from its own sources
/// or from ServiceDiscovery's resolver through the Loadstone.ServiceDiscovery bridge); any other request is resolved by
/// ServiceDiscovery's handler as before, and then passes through Loadstone untouched.
/// </summary>
internal sealed class ServiceDiscoveryBypassHandler(DelegatingHandler serviceDiscovery, LoadBalancingHandler balancer) : DelegatingHandler
{
    private readonly Lock _gate = new();
    private HttpMessageInvoker? _serviceDiscovery;

    /// <summary>ServiceDiscovery's own handler, which this one stands in for.</summary>
    internal DelegatingHandler ServiceDiscovery => serviceDiscovery;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        balancer.Routes(request.RequestUri)
            ? base.SendAsync(request, cancellationToken)
            : Resolver().SendAsync(request, cancellationToken);

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        balancer.Routes(request.RequestUri)
            ? base.Send(request, cancellationToken)
            : Resolver().Send(request, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _serviceDiscovery?.Dispose();
        }
    }

    // ServiceDiscovery's handler sends on to this handler's inner handler, which exists only once the pipeline is built.
    private HttpMessageInvoker Resolver()
    {
        if (Volatile.Read(ref _serviceDiscovery) is { } invoker)
        {
            return invoker;
        }

        lock (_gate)
        {
            if (_serviceDiscovery is null)
            {
                serviceDiscovery.InnerHandler = InnerHandler ?? throw new InvalidOperationException("The handler pipeline is not built yet.");
                Volatile.Write(ref _serviceDiscovery, new HttpMessageInvoker(serviceDiscovery, disposeHandler: true));
            }

            return _serviceDiscovery;
        }
    }
}
