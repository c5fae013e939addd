namespace Loadstone;

/// <summary>
/// What an active health check sends to an endpoint and how it judges the answer. The default sends an HTTP GET to
/// <see cref="ActiveHealthCheckOptions.Path"/> and matches the status code against
/// <see cref="ActiveHealthCheckOptions.Matcher"/>; the Loadstone.Grpc package offers the gRPC health checking protocol
/// (<c>grpc.health.v1</c>). The prober owns everything around it: timers, the timeout, the handler, the User-Agent and
/// Host headers, and the thresholds.
/// </summary>
public interface IActiveHealthCheck
{
    /// <summary>Creates the probe request for one endpoint. Called on the control plane, once per probe.</summary>
    /// <param name="address">
    /// Where to probe: the endpoint's address (scheme, host, port, path prefix), with the port replaced by
    /// <see cref="ActiveHealthCheckOptions.Port"/> when that is set.
    /// </param>
    /// <param name="options">The service's active health check options.</param>
    /// <returns>A new request; the prober disposes it.</returns>
    HttpRequestMessage CreateRequest(Uri address, ActiveHealthCheckOptions options);

    /// <summary>Judges the endpoint's answer.</summary>
    /// <param name="response">The response; the prober disposes it.</param>
    /// <param name="options">The service's active health check options.</param>
    /// <param name="cancellationToken">Cancelled when the probe's <see cref="ActiveHealthCheckOptions.Timeout"/> passes.</param>
    /// <returns>
    /// <see cref="EndpointHealthReason.None"/> when the check passed; otherwise why it failed, e.g.
    /// <see cref="EndpointHealthReason.ResponseCodeMismatch"/> or <see cref="EndpointHealthReason.NotServing"/>.
    /// </returns>
    ValueTask<EndpointHealthReason> CheckAsync(HttpResponseMessage response, ActiveHealthCheckOptions options, CancellationToken cancellationToken);
}

/// <summary>The default active health check: HTTP GET of the path, the status code matched like an ALB target group's.</summary>
internal sealed class HttpStatusHealthCheck : IActiveHealthCheck
{
    public static HttpStatusHealthCheck Instance { get; } = new();

    public HttpRequestMessage CreateRequest(Uri address, ActiveHealthCheckOptions options)
    {
        var path = options.Path;
        var query = string.Empty;
        var q = path.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = path[(q + 1)..];
            path = path[..q];
        }

        var builder = new UriBuilder(address)
        {
            Path = address.AbsolutePath.TrimEnd('/') + (path.StartsWith('/') ? path : "/" + path),
            Query = query,
        };
        return new HttpRequestMessage(HttpMethod.Get, builder.Uri);
    }

    public ValueTask<EndpointHealthReason> CheckAsync(HttpResponseMessage response, ActiveHealthCheckOptions options, CancellationToken cancellationToken)
    {
        var matcher = StatusCodeMatcher.TryParse(options.Matcher, out var parsed, out _)
            ? parsed
            : throw new InvalidOperationException("The matcher was validated.");
        return ValueTask.FromResult(matcher.Matches((int)response.StatusCode) ? EndpointHealthReason.None : EndpointHealthReason.ResponseCodeMismatch);
    }
}
