using Microsoft.Extensions.Configuration;

namespace Loadstone.Discovery.Etcd;

/// <summary>Creates etcd sources from <c>LoadBalancing:Services:{service}:Discovery:Etcd</c>.</summary>
internal sealed class EtcdEndpointSourceProvider(EtcdSourceFactory factory) : IEndpointSourceProvider
{
    public const string ProviderName = "Etcd";

    private static readonly SettingsSchema s_schema = new(new SectionType(typeof(EtcdDiscoveryOptions), "etcd discovery"));

    public string Name => ProviderName;

    public IEndpointSource? CreateSource(string serviceName, IConfigurationSection section, ICollection<string> problems)
    {
        var options = new EtcdDiscoveryOptions();
        var before = problems.Count;
        DiscoverySection.Bind(section, options, s_schema, setting => $"Service '{serviceName}': etcd discovery {setting} ({EtcdOptionsValidator.SectionKey(serviceName)}:{setting})",
            static (configuration, target) => configuration.Bind(target, static b => b.ErrorOnUnknownConfiguration = true), problems);
        foreach (var problem in EtcdOptionsValidator.ValidateSource(serviceName, options))
        {
            problems.Add(problem);
        }

        return problems.Count > before ? null : factory.Create(serviceName, options);
    }
}
