using Microsoft.Extensions.Configuration;

namespace Loadstone.Discovery.Dns;

/// <summary>Creates DNS sources from <c>LoadBalancing:Services:{service}:Discovery:Dns</c>.</summary>
internal sealed class DnsEndpointSourceProvider(DnsSourceFactory factory) : IEndpointSourceProvider
{
    public const string ProviderName = "Dns";

    public string Name => ProviderName;

    public IEndpointSource? CreateSource(string serviceName, IConfigurationSection section, ICollection<string> problems)
    {
        var options = new DnsDiscoveryOptions();
        var before = problems.Count;
        DiscoverySection.Bind(section, (s, strict) =>
        {
            if (strict)
            {
                s.Bind(options, static b => b.ErrorOnUnknownConfiguration = true);
            }
            else
            {
                s.Bind(options);
            }
        }, problems);
        foreach (var problem in DnsDiscoveryOptionsValidator.Validate(serviceName, options))
        {
            problems.Add(problem);
        }

        return problems.Count > before ? null : factory.Create(serviceName, options);
    }
}
