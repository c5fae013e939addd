namespace Loadstone;

/// <summary>
/// Placed outermost on a client whose resilience handler sits outside the <see cref="LoadBalancingHandler"/>: gives each
/// request its <see cref="RequestAttempts"/> with the caller's token, before any resilience handler links timeouts into it.
/// </summary>
internal sealed class RequestEntryHandler : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        RequestAttempts.Attach(request, cancellationToken);
        return base.SendAsync(request, cancellationToken);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        RequestAttempts.Attach(request, cancellationToken);
        return base.Send(request, cancellationToken);
    }
}
