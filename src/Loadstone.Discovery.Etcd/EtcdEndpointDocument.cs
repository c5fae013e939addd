using System.Text.Json;
using System.Text.Json.Serialization;

namespace Loadstone.Discovery.Etcd;

/// <summary>
/// The value stored under an endpoint's key: a small JSON document, e.g.
/// <c>{"address":"http://10.0.1.5:8080","zone":"eu-west-1a","weight":1,"name":null,"hostName":null,"metadata":{"version":"1.4.2"}}</c>.
/// Only <see cref="Address"/> is required; property names are matched case-insensitively and unknown properties are ignored.
/// </summary>
public sealed class EtcdEndpointDocument
{
    /// <summary>The endpoint's absolute http(s) URI. Required.</summary>
    public string? Address { get; set; }

    /// <summary>The availability zone, or <see langword="null"/>.</summary>
    public string? Zone { get; set; }

    /// <summary>The relative traffic share, 0 to 10,000; <see langword="null"/> for the default of 1.</summary>
    public int? Weight { get; set; }

    /// <summary>The named endpoint this address serves (as in Microsoft.Extensions.ServiceDiscovery), or <see langword="null"/>.</summary>
    public string? Name { get; set; }

    /// <summary>The DNS name the instance answers to, sent as Host and used for TLS (<see cref="LoadBalancedEndpoint.HostName"/>), or <see langword="null"/>.</summary>
    public string? HostName { get; set; }

    /// <summary>Free-form labels, or <see langword="null"/>.</summary>
    public Dictionary<string, string>? Metadata { get; set; }

    /// <summary>The document for an endpoint.</summary>
    /// <param name="endpoint">The endpoint.</param>
    public static EtcdEndpointDocument From(LoadBalancedEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new EtcdEndpointDocument
        {
            Address = endpoint.Address.ToString(),
            Zone = endpoint.Zone,
            Weight = endpoint.Weight,
            Name = endpoint.Name,
            HostName = endpoint.HostName,
            Metadata = endpoint.Metadata.Count == 0 ? null : new Dictionary<string, string>(endpoint.Metadata, StringComparer.Ordinal),
        };
    }

    /// <summary>Serialises the document as compact JSON (UTF-8).</summary>
    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, EtcdJsonContext.Default.EtcdEndpointDocument);

    /// <summary>Reads an endpoint from a key's value, as the etcd source does.</summary>
    /// <param name="utf8Json">The value: an endpoint document in UTF-8 JSON.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="FormatException">The value is not a valid endpoint document; the message says why.</exception>
    public static LoadBalancedEndpoint Parse(ReadOnlySpan<byte> utf8Json) =>
        TryParse(utf8Json, out var problem) ?? throw new FormatException($"Not a valid endpoint document: {problem}.");

    /// <summary>Parses a value into an endpoint, or says what is wrong with it.</summary>
    internal static LoadBalancedEndpoint? TryParse(ReadOnlySpan<byte> utf8Json, out string? problem)
    {
        EtcdEndpointDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(utf8Json, EtcdJsonContext.Default.EtcdEndpointDocument);
        }
        catch (JsonException ex)
        {
            problem = $"not a JSON endpoint document ({ex.Message})";
            return null;
        }

        if (document is null || string.IsNullOrWhiteSpace(document.Address))
        {
            problem = "it has no \"address\"";
            return null;
        }

        try
        {
            // The string overload says what is wrong with an address that does not parse (a port out of range, a path).
            problem = null;
            return new LoadBalancedEndpoint(document.Address, document.Zone, document.Weight ?? LoadBalancedEndpoint.DefaultWeight, document.Metadata, document.Name)
            {
                HostName = document.HostName,
            };
        }
        catch (ArgumentException ex)
        {
            var message = ex.Message;
            var parameter = message.IndexOf(" (Parameter", StringComparison.Ordinal);
            problem = parameter < 0 ? message : message[..parameter];
            return null;
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, AllowTrailingCommas = true, ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(EtcdEndpointDocument))]
internal sealed partial class EtcdJsonContext : JsonSerializerContext;
