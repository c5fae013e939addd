using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Health.V1;

namespace Loadstone.Grpc;

/// <summary>
/// The gRPC health checking protocol (<c>grpc.health.v1.Health/Check</c>) as an active health check: an endpoint passes
/// when it answers <c>SERVING</c> for <see cref="Service"/>. <c>NOT_SERVING</c> (or an unknown service) fails with
/// <see cref="EndpointHealthReason.NotServing"/>; a gRPC error (no health service: <c>UNIMPLEMENTED</c>) or a non-gRPC
/// answer with <see cref="EndpointHealthReason.ResponseCodeMismatch"/>. The request goes to the endpoint's host and port
/// (or <see cref="ActiveHealthCheckOptions.Port"/>) over HTTP/2: h2c for http endpoints, TLS for https ones.
/// <see cref="ActiveHealthCheckOptions.Path"/> and <see cref="ActiveHealthCheckOptions.Matcher"/> do not apply.
/// </summary>
/// <param name="service">
/// The service name to ask about, as registered in the server's health service (e.g. <c>catalog.v1.Catalog</c>); the
/// default, empty, asks about the server as a whole.
/// </param>
public sealed class GrpcHealthCheck(string service = "") : IActiveHealthCheck
{
    private const string CheckPath = "/grpc.health.v1.Health/Check";
    private static readonly MediaTypeHeaderValue s_grpcContentType = new("application/grpc");

    /// <summary>The service asked about; empty for the server as a whole.</summary>
    public string Service { get; } = service ?? string.Empty;

    /// <inheritdoc />
    public HttpRequestMessage CreateRequest(Uri address, ActiveHealthCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(address);
        var message = new HealthCheckRequest { Service = Service }.ToByteArray();
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), message.Length);
        message.CopyTo(frame, 5);
        var content = new ByteArrayContent(frame);
        content.Headers.ContentType = s_grpcContentType;
        var request = new HttpRequestMessage(HttpMethod.Post, new UriBuilder(address.Scheme, address.Host, address.Port, CheckPath).Uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        return request;
    }

    /// <inheritdoc />
    public async ValueTask<EndpointHealthReason> CheckAsync(HttpResponseMessage response, ActiveHealthCheckOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.StatusCode != HttpStatusCode.OK || response.Headers.NonValidated.Contains(GrpcStatus.Header))
        {
            // Not gRPC, or a gRPC error before any message (UNIMPLEMENTED: no health service; NOT_FOUND: unknown service).
            return response.Headers.NonValidated.TryGetValues(GrpcStatus.Header, out var early) && early.ToString() == "5"
                ? EndpointHealthReason.NotServing
                : EndpointHealthReason.ResponseCodeMismatch;
        }

        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.TrailingHeaders.NonValidated.TryGetValues(GrpcStatus.Header, out var status) || status.ToString() != "0"
            || body.Length < 5 || body[0] != 0)
        {
            return EndpointHealthReason.ResponseCodeMismatch;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(1));
        if (length < 0 || length > body.Length - 5)
        {
            return EndpointHealthReason.ResponseCodeMismatch;
        }

        var answer = HealthCheckResponse.Parser.ParseFrom(body, 5, length);
        return answer.Status == HealthCheckResponse.Types.ServingStatus.Serving ? EndpointHealthReason.None : EndpointHealthReason.NotServing;
    }
}
