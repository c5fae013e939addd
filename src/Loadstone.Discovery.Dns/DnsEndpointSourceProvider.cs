using Microsoft.Extensions.Configuration;

namespace Loadstone.Discovery.Dns;

/// <summary>Creates DNS sources from <c>LoadBalancing:Services:{service}:Discovery:Dns</c>.</summary>
internal sealed class DnsEndpointSourceProvider(DnsSourceFactory factory) : IEndpointSourceProvider
{
    public const string ProviderName = "Dns";

    private static readonly SettingsSchema s_schema = new(new SectionType(typeof(DnsDiscoveryOptions), "DNS discovery"));

    public string Name => ProviderName;

    public IEndpointSource? CreateSource(string serviceName, IConfigurationSection section, ICollection<string> problems)
    {
        var options = new DnsDiscoveryOptions();
        var before = problems.Count;
        DiscoverySection.Bind(section, options, s_schema, setting => $"Service '{serviceName}': DNS discovery {setting} ({DnsDiscoveryOptionsValidator.SectionKey(serviceName)}:{setting})",
            static (configuration, target) => configuration.Bind(target, static b => b.ErrorOnUnknownConfiguration = true), problems);
        foreach (var problem in DnsDiscoveryOptionsValidator.Validate(serviceName, options))
        {
            problems.Add(problem);
        }

        return problems.Count > before ? null : factory.Create(serviceName, options);
    }
}
