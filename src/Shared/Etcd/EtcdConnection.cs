using System.Net.Http;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;

namespace Loadstone.Etcd;

/// <summary>
/// A gRPC channel to one member of an etcd cluster, with the v3 API's generated clients (from dotnet-etcd). After a
/// failure the owner calls <see cref="Rotate"/> to try the next member. Used by one loop at a time. Shared source file
/// of the etcd packages (compiled into each).
/// </summary>
internal sealed class EtcdConnection : IDisposable
{
    // HTTP/2 pings find a dead peer behind a silent network (no RST) within about delay + timeout.
    private static readonly TimeSpan s_keepAlivePingDelay = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_keepAlivePingTimeout = TimeSpan.FromSeconds(10);

    private readonly Uri[] _endpoints;
    private int _index;
    private GrpcChannel _channel;

    public EtcdConnection(IEnumerable<string> endpoints)
    {
        _endpoints = endpoints.Select(e => new Uri(e.Trim(), UriKind.Absolute)).ToArray();
        _channel = Open(_endpoints[0]);
        (KV, Watch, Lease) = Clients(_channel);
    }

    /// <summary>The member in use, e.g. <c>http://10.0.0.10:2379/</c>.</summary>
    public Uri Current => _endpoints[_index];

    public KV.KVClient KV { get; private set; }

    public Watch.WatchClient Watch { get; private set; }

    public Lease.LeaseClient Lease { get; private set; }

    /// <summary>Drops the channel and opens one to the next member (the same one when there is only one).</summary>
    public void Rotate()
    {
        _channel.Dispose();
        _index = (_index + 1) % _endpoints.Length;
        _channel = Open(_endpoints[_index]);
        (KV, Watch, Lease) = Clients(_channel);
    }

    public void Dispose() => _channel.Dispose();

    public static CallOptions Deadline(TimeSpan timeout, CancellationToken cancellationToken) =>
        new(deadline: DateTime.UtcNow + timeout, cancellationToken: cancellationToken);

    /// <summary>The end of a prefix's key range: the prefix with its last byte incremented (etcd's "get with prefix").</summary>
    public static byte[] PrefixEnd(byte[] prefix)
    {
        var end = (byte[])prefix.Clone();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        return [0]; // Every byte is 0xff: the range runs to the end of the key space.
    }

    private static (KV.KVClient, Watch.WatchClient, Lease.LeaseClient) Clients(GrpcChannel channel) =>
        (new KV.KVClient(channel), new Watch.WatchClient(channel), new Lease.LeaseClient(channel));

    private static GrpcChannel Open(Uri endpoint) => GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            KeepAlivePingDelay = s_keepAlivePingDelay,
            KeepAlivePingTimeout = s_keepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            EnableMultipleHttp2Connections = true,
        },
        DisposeHttpClient = true,
        MaxReceiveMessageSize = 64 * 1024 * 1024,
    });
}
