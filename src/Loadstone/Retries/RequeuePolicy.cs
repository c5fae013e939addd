using System.Net.Sockets;

namespace Loadstone;

/// <summary>
/// A pool's requeue policy: which failed attempts provably never reached a server, and the requeue budget that bounds
/// sending them elsewhere (Finagle's: requeues ≤ a percentage of requests over 10 s plus a floor per second). The send
/// loop asks it; it sends nothing itself.
/// </summary>
internal sealed class RequeuePolicy(RequeueOptions options, TimeProvider timeProvider)
{
    public RequeueOptions Options { get; } = options;

    public RetryBudget Budget { get; } = new(options.BudgetPercent, options.MinRequeuesPerSecond, timeProvider);

    /// <summary>
    /// Whether the request never reached a server: the connection was refused or could not be made, the name did not
    /// resolve, or the TLS handshake (or a proxy tunnel) failed before anything of the request was written.
    /// <see cref="HttpRequestError.ConnectionError"/> is what SocketsHttpHandler reports for a failed connect; a failure
    /// on an established connection (a reset while sending or reading) is not in this list, since the server may have
    /// seen the request.
    /// </summary>
    public static bool NeverReachedServer(Exception exception) => exception switch
    {
        HttpRequestException
        {
            HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError,
        } => true,
        // A connect callback or another inner handler may throw the socket error as it is.
        HttpRequestException { HttpRequestError: HttpRequestError.Unknown, InnerException: SocketException socket } => IsConnectError(socket),
        SocketException socket => IsConnectError(socket),
        _ => false,
    };

    private static bool IsConnectError(SocketException socket) => socket.SocketErrorCode is SocketError.ConnectionRefused
        or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.TryAgain;
}
