using Microsoft.Extensions.Configuration;

namespace Loadstone;

/// <summary>
/// Reads endpoints written in Microsoft.Extensions.ServiceDiscovery's configuration schema,
/// <c>Services:{service}:{endpointName}</c> holding a string or an array of <c>host:port</c> or absolute URIs,
/// so existing appsettings work unchanged.
/// </summary>
internal static class ServiceDiscoveryConfiguration
{
    public const string ServicesSection = "Services";

    public static void AddEndpoints(IConfiguration configuration, string serviceName, LoadBalancingOptions options)
    {
        var section = configuration.GetSection($"{ServicesSection}:{serviceName}");
        foreach (var named in section.GetChildren())
        {
            var values = named.Value is { } single ? [(named.Path, single)] : named.GetChildren().Select(c => (c.Path, c.Value)).ToArray();
            foreach (var (path, value) in values)
            {
                if (string.IsNullOrWhiteSpace(value))
                {
                    continue;
                }

                try
                {
                    var address = value.Contains("://", StringComparison.Ordinal) ? value : $"{DefaultScheme(named.Key)}://{value}";
                    options.Endpoints.Add(new Endpoint(address, name: IsSchemeName(named.Key) ? null : named.Key));
                }
                catch (ArgumentException ex)
                {
                    options.ConfigurationProblems.Add($"{path}: {ex.Message}");
                }
            }
        }
    }

    private static bool IsSchemeName(string key) =>
        key.Equals("http", StringComparison.OrdinalIgnoreCase) || key.Equals("https", StringComparison.OrdinalIgnoreCase)
        || key.Equals("default", StringComparison.OrdinalIgnoreCase);

    private static string DefaultScheme(string key) =>
        key.Equals("https", StringComparison.OrdinalIgnoreCase) ? "https" : "http";
}
