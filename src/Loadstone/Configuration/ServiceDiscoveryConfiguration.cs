using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Loadstone;

/// <summary>
/// Reads endpoints written in Microsoft.Extensions.ServiceDiscovery's configuration schema,
/// <c>Services:{service}:{endpointName}</c>, so existing appsettings (and the <c>services__catalog__http__0</c>
/// variables an app host sets) work unchanged.
/// </summary>
/// <remarks>
/// <para>
/// Each child of <c>Services:{service}</c> is one endpoint name holding a single string or an array
/// (<c>:0</c>, <c>:1</c>, …) of strings; an empty string (or an empty JSON array) with entries below it from a later
/// configuration source reads those entries. When a registry reads this section itself (the Loadstone.ServiceDiscovery
/// bridge to Microsoft.Extensions.ServiceDiscovery's resolver), this reader steps aside. The names <c>default</c>, <c>http</c> and <c>https</c> are the service's
/// unnamed endpoints, reached by <c>http://catalog</c>, <c>https://catalog</c> or <c>https+http://catalog</c>; any
/// other name is a named endpoint, reached by <c>http://_{name}.{service}</c>.
/// </para>
/// <para>
/// A value is an absolute URI (<c>https://10.0.0.5:8443</c>, optionally with a path prefix) or <c>host[:port]</c>.
/// An endpoint always carries its own scheme: <c>host:port</c> gets <c>https</c> under <c>https</c> and <c>http</c>
/// under every other name. (Service discovery instead takes the scheme of such a value from the request URI; write
/// the scheme out where that matters.)
/// </para>
/// <para>
/// Problems (an array with a key that is not an index, a value that is neither form) are collected into the
/// options with the configuration key of the entry, and reported by validation with every other problem.
/// </para>
/// </remarks>
internal static class ServiceDiscoveryConfiguration
{
    public const string ServicesSection = "Services";

    /// <summary>The endpoint name service discovery reads first for a request without one.</summary>
    public const string DefaultEndpointName = "default";

    public static void AddEndpoints(IConfiguration configuration, string serviceName, LoadBalancingOptions options)
    {
        var section = configuration.GetSection($"{ServicesSection}:{serviceName}");
        foreach (var named in section.GetChildren())
        {
            var endpointName = IsUnnamed(named.Key) ? null : named.Key;
            var scheme = named.Key.Equals(Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase) ? Uri.UriSchemeHttps : Uri.UriSchemeHttp;
            if (!string.IsNullOrWhiteSpace(named.Value))
            {
                Add(named.Path, named.Value, scheme, endpointName, options);
                continue;
            }

            // An empty value lists nothing itself (an override may blank an entry out; an empty JSON array reads as ""),
            // but entries that a later source adds below it (services__catalog__https__0) still count, as in service
            // discovery: an empty "https": [] in appsettings.json must not hide them.

            foreach (var entry in named.GetChildren())
            {
                if (!int.TryParse(entry.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    options.ConfigurationProblems.Add(
                        $"{entry.Path}: '{entry.Key}' is not an array index; {named.Path} holds one address or an array of them (0, 1, 2, ...).");
                }
                else if (string.IsNullOrWhiteSpace(entry.Value))
                {
                    options.ConfigurationProblems.Add(entry.Value is null
                        ? $"{entry.Path}: an entry must be an address string (host:port or an absolute URI), not a section."
                        : $"{entry.Path}: the address is empty; write host:port or an absolute URI such as http://10.0.0.5:8080.");
                }
                else
                {
                    Add(entry.Path, entry.Value, scheme, endpointName, options);
                }
            }
        }
    }

    /// <summary><see langword="true"/> for the endpoint names that service discovery resolves for a request without one.</summary>
    public static bool IsUnnamed(string endpointName) =>
        endpointName.Equals(DefaultEndpointName, StringComparison.OrdinalIgnoreCase)
        || endpointName.Equals(Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase)
        || endpointName.Equals(Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase);

    private static void Add(string path, string value, string scheme, string? endpointName, LoadBalancingOptions options)
    {
        var text = value.Trim();
        var hasScheme = text.Contains("://", StringComparison.Ordinal);
        if (!hasScheme && !Uri.TryCreate($"{scheme}://{text}", UriKind.Absolute, out _))
        {
            options.ConfigurationProblems.Add(EndpointValidation.DescribeHostAndPort(text) is { } problem ? $"{path}: {problem}" :
                $"{path}: '{text}' is neither host:port (such as 10.0.0.5:8080) nor an absolute URI (such as https://10.0.0.5:8443).");
            return;
        }

        try
        {
            options.Endpoints.Add(new LoadBalancedEndpoint(hasScheme ? text : $"{scheme}://{text}", name: endpointName));
        }
        catch (ArgumentException ex)
        {
            options.ConfigurationProblems.Add($"{path}: {WithoutParameterName(ex.Message)}");
        }
    }

    private static string WithoutParameterName(string message)
    {
        // ArgumentException appends " (Parameter 'x')"; the rest of the message already names the problem.
        var index = message.IndexOf(" (Parameter", StringComparison.Ordinal);
        return index < 0 ? message : message[..index];
    }
}
