using System.Net;

namespace Loadstone.Grpc;

/// <summary>
/// Completes each gRPC call's lease when the call ends: at once for an error sent before any message (a
/// "trailers-only" response, <c>grpc-status</c> in the headers) or a failed request, otherwise when the response has been
/// read to its end, with the <c>grpc-status</c> of the trailers, so that a server-streaming call counts as in flight for
/// its whole length and its outcome is its status. A response abandoned before its end (the caller cancelled, the
/// stream was disposed) completes as <see cref="RequestOutcome.Canceled"/>. Requests without a Loadstone lease pass through.
/// </summary>
/// <remarks>
/// Place it in the channel's handler chain (<c>GrpcChannelOptions.HttpHandler</c>), below Grpc.Net.Client's own balancer:
/// <c>AddGrpcLoadBalancing</c> and <see cref="LoadBalancedGrpcChannel"/> do it.
/// </remarks>
public sealed class GrpcCallTrackingHandler : DelegatingHandler
{
    /// <summary>Creates the handler; the client factory (or <see cref="LoadBalancedGrpcChannel"/>) sets its inner handler.</summary>
    public GrpcCallTrackingHandler()
    {
    }

    /// <summary>Creates the handler over <paramref name="innerHandler"/>, e.g. a <see cref="SocketsHttpHandler"/>.</summary>
    /// <param name="innerHandler">The handler that sends the requests.</param>
    public GrpcCallTrackingHandler(HttpMessageHandler innerHandler)
        : base(innerHandler)
    {
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tracker = GrpcCallTracker.Claim(request);
        if (tracker is null)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            tracker.Finish(OutcomeClassifier.FromException(ex, cancellationToken));
            throw;
        }

        if (response.StatusCode != HttpStatusCode.OK || response.Headers.NonValidated.Contains(GrpcStatus.Header))
        {
            // Not a gRPC answer (an HTTP error from a proxy), or a gRPC error before any message: the call ends here.
            tracker.Finish(OutcomeClassifier.FromResponse(response));
            return response;
        }

        response.Content = new TrackedContent(response, tracker);
        return response;
    }

    /// <summary>The response's content, whose stream completes the call's lease at its end.</summary>
    private sealed class TrackedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly HttpResponseMessage _response;
        private readonly GrpcCallTracker _tracker;

        public TrackedContent(HttpResponseMessage response, GrpcCallTracker tracker)
        {
            _inner = response.Content;
            _response = response;
            _tracker = tracker;
            foreach (var header in _inner.Headers.NonValidated)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new TrackedStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), this);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            try
            {
                await _inner.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
                Ended();
            }
            catch (Exception ex)
            {
                Failed(ex);
                throw;
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                // Disposed before its end: the caller gave up on the call (cancelled, or stopped reading a stream).
                _tracker.Finish(RequestOutcome.Canceled);
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }

        /// <summary>The body was read to its end: the trailers hold the call's status.</summary>
        public void Ended() => _tracker.Finish(
            _response.TrailingHeaders.NonValidated.TryGetValues(GrpcStatus.Header, out var status)
                ? OutcomeClassifier.FromGrpcStatus(status.ToString())
                : RequestOutcome.ServerError);

        public void Failed(Exception exception) => _tracker.Finish(OutcomeClassifier.FromException(exception, CancellationToken.None) switch
        {
            // A read cancelled by the call (its cancellation or deadline) is not the endpoint's failure.
            RequestOutcome.Timeout when exception is OperationCanceledException => RequestOutcome.Canceled,
            var outcome => outcome,
        });
    }

    private sealed class TrackedStream(Stream inner, TrackedContent content) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int read;
            try
            {
                read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                content.Failed(ex);
                throw;
            }

            if (read == 0 && buffer.Length > 0)
            {
                content.Ended();
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int read;
            try
            {
                read = inner.Read(buffer);
            }
            catch (Exception ex)
            {
                content.Failed(ex);
                throw;
            }

            if (read == 0 && buffer.Length > 0)
            {
                content.Ended();
            }

            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>The gRPC status header and codes the package reads.</summary>
internal static class GrpcStatus
{
    public const string Header = "grpc-status";
}
