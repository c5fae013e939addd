using System.Collections.Frozen;

namespace Loadstone;

/// <summary>
/// One instance of a logical service: where it listens, which zone it is in, and how much traffic it should get.
/// Immutable; like a target registered in an ALB target group.
/// </summary>
/// <remarks>
/// Two endpoints are the same endpoint when their <see cref="Id"/> (the normalised address) is the same.
/// Runtime state (in-flight requests, latency, health) lives in <see cref="EndpointState"/>, not here.
/// </remarks>
public sealed class LoadBalancedEndpoint : IEquatable<LoadBalancedEndpoint>
{
    /// <summary>The lowest weight an endpoint may have: 0, which means it receives no new traffic.</summary>
    public const int MinWeight = 0;

    /// <summary>The highest weight an endpoint may have: 10,000.</summary>
    public const int MaxWeight = 10_000;

    /// <summary>The weight of an endpoint that states none: 1.</summary>
    public const int DefaultWeight = 1;

    private static readonly FrozenDictionary<string, string> s_noMetadata =
        FrozenDictionary<string, string>.Empty;

    /// <summary>Creates an endpoint.</summary>
    /// <param name="address">
    /// An absolute <c>http</c> or <c>https</c> URI. It may carry a path prefix (kept in front of each request's
    /// path) but no user information, query or fragment; an explicit port is 1 to 65535. Services balanced only by connection
    /// (<see cref="ConnectionBalancer"/>) may also use <c>tcp://host:port</c>.
    /// </param>
    /// <param name="zone">The availability zone the endpoint runs in, or <see langword="null"/> when unknown.</param>
    /// <param name="weight">
    /// The relative share of traffic, from <see cref="MinWeight"/> (0: no new traffic) to <see cref="MaxWeight"/>.
    /// The default is <see cref="DefaultWeight"/> (1).
    /// </param>
    /// <param name="metadata">Free-form labels (version, rack, ...). Never interpreted by the balancer.</param>
    /// <param name="name">
    /// The named endpoint this address serves, as in Microsoft.Extensions.ServiceDiscovery (<c>dashboard</c> in
    /// <c>https://_dashboard.basket</c>); <see langword="null"/> for an unnamed endpoint. Letters, digits, <c>-</c> and
    /// <c>_</c> only, since it is requested as a host label.
    /// </param>
    /// <exception cref="ArgumentException">The address, weight or name is not valid; the message says why.</exception>
    public LoadBalancedEndpoint(Uri address, string? zone = null, int weight = DefaultWeight,
        IReadOnlyDictionary<string, string>? metadata = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (EndpointValidation.ValidateAddress(address) is { } addressProblem)
        {
            throw new ArgumentException(addressProblem, nameof(address));
        }

        if (EndpointValidation.ValidateWeight(weight) is { } weightProblem)
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, weightProblem);
        }

        if (EndpointValidation.ValidateName(name) is { } nameProblem)
        {
            throw new ArgumentException(nameProblem, nameof(name));
        }

        Address = address;
        Zone = string.IsNullOrWhiteSpace(zone) ? null : zone;
        Weight = weight;
        Name = string.IsNullOrWhiteSpace(name) ? null : name;
        Metadata = metadata is null || metadata.Count == 0
            ? s_noMetadata
            : metadata.ToFrozenDictionary(StringComparer.Ordinal);

        var path = address.AbsolutePath.TrimEnd('/');
        BaseAddress = string.Concat(address.GetLeftPart(UriPartial.Authority), path);
        Id = BaseAddress; // Uri has already lower-cased the scheme and host; the path keeps its case.
        PathPrefix = path;
    }

    /// <summary>Creates an endpoint from an absolute URI string; see <see cref="LoadBalancedEndpoint(Uri, string?, int, IReadOnlyDictionary{string, string}?, string?)"/>.</summary>
    /// <exception cref="ArgumentException">The string is not an absolute http(s) URI or the weight is out of range.</exception>
    public LoadBalancedEndpoint(string address, string? zone = null, int weight = DefaultWeight,
        IReadOnlyDictionary<string, string>? metadata = null, string? name = null)
        : this(ParseAddress(address), zone, weight, metadata, name)
    {
    }

    /// <summary>The identity of the endpoint: its scheme, host, port and path prefix, lower-cased.</summary>
    public string Id { get; }

    /// <summary>The address the endpoint was created with.</summary>
    public Uri Address { get; }

    /// <summary>The availability zone, or <see langword="null"/> when unknown.</summary>
    public string? Zone { get; }

    /// <summary>The relative traffic share, 0 to 10,000; 0 receives no new traffic. The default is 1.</summary>
    public int Weight { get; }

    /// <summary>The named endpoint this address serves, or <see langword="null"/>.</summary>
    public string? Name { get; }

    /// <summary>Free-form labels; empty when none were given.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// The DNS name the instance answers to when <see cref="Address"/> holds its IP address (an SRV record's target,
    /// the name an A record was asked for), or <see langword="null"/>. When set, requests to this endpoint carry it as
    /// their Host header (with the port when it is not the scheme's default), and HTTPS uses it for SNI and certificate
    /// validation, unless the caller set a Host header or <see cref="LoadBalancingOptions.UseServiceNameAsHost"/> is on.
    /// Not part of the endpoint's identity.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not a DNS host name.</exception>
    public string? HostName
    {
        get;
        init
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                field = null;
                HostHeader = null;
                return;
            }

            var name = value.TrimEnd('.');
            if (Uri.CheckHostName(name) != UriHostNameType.Dns)
            {
                throw new ArgumentException($"'{value}' is not a DNS host name.", nameof(value));
            }

            field = name;
            HostHeader = Address.IsDefaultPort ? name : string.Concat(name, ":", Address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The Host header for <see cref="HostName"/> (with the port unless it is the default), or null.</summary>
    internal string? HostHeader { get; private set; }

    /// <summary>Scheme, authority and path prefix without a trailing slash, e.g. <c>http://10.0.1.5:8080/api</c>.</summary>
    internal string BaseAddress { get; }

    /// <summary>The path prefix without a trailing slash; empty when none.</summary>
    internal string PathPrefix { get; }

    /// <summary>Returns a copy of this endpoint with another weight.</summary>
    /// <param name="weight">The new weight, 0 to 10,000.</param>
    public LoadBalancedEndpoint WithWeight(int weight) => new(Address, Zone, weight, Metadata, Name) { HostName = HostName };

    /// <inheritdoc />
    public bool Equals(LoadBalancedEndpoint? other) => other is not null && string.Equals(Id, other.Id, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as LoadBalancedEndpoint);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Id);

    /// <inheritdoc />
    public override string ToString() => Zone is null ? BaseAddress : $"{BaseAddress} ({Zone})";

    private static bool LooksLikeHostAndPort(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0 && colon < address.Length - 1 && !address.Contains("://", StringComparison.Ordinal)
            && address.AsSpan(colon + 1).IndexOfAnyExceptInRange('0', '9') < 0
            && address.AsSpan(0, colon).IndexOfAny(" /?#@") < 0;
    }

    private static Uri ParseAddress(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        if (LooksLikeHostAndPort(address))
        {
            // "localhost:8080" parses as scheme "localhost"; say what is really missing.
            var shown = EndpointValidation.Redact(address);
            throw new ArgumentException($"'{shown}' has no scheme; write it as http://{shown} or https://{shown}.", nameof(address));
        }

        if (address.TrimStart().StartsWith('/') || !Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            throw new ArgumentException(EndpointValidation.DescribeUnparsable(address), nameof(address));
        }

        return uri;
    }
}
