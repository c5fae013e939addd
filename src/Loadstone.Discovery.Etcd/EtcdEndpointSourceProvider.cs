using Microsoft.Extensions.Configuration;

namespace Loadstone.Discovery.Etcd;

/// <summary>Creates etcd sources from <c>LoadBalancing:Services:{service}:Discovery:Etcd</c>.</summary>
internal sealed class EtcdEndpointSourceProvider(EtcdSourceFactory factory) : IEndpointSourceProvider
{
    public const string ProviderName = "Etcd";

    public string Name => ProviderName;

    public IEndpointSource? CreateSource(string serviceName, IConfigurationSection section, ICollection<string> problems)
    {
        var options = new EtcdDiscoveryOptions();
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
        foreach (var problem in EtcdOptionsValidator.ValidateSource(serviceName, options))
        {
            problems.Add(problem);
        }

        return problems.Count > before ? null : factory.Create(serviceName, options);
    }
}
