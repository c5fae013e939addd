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
