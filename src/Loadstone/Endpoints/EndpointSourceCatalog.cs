using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Loadstone;

/// <summary>
/// The endpoint sources of each service in a container: those registered in code
/// (<see cref="LoadBalancedServiceBuilderExtensions.AddEndpointSource(ILoadBalancedServiceBuilder, Func{IServiceProvider, IEndpointSource})"/>)
/// those described under <c>LoadBalancing:Services:{service}:Discovery</c>, and those of every registered
/// <see cref="IEndpointRegistry"/>. Created once per service, however
/// often the service's options are built (validation, pool creation, reloads), so a source is never started twice.
/// </summary>
internal sealed class EndpointSourceCatalog(IServiceProvider services)
{
    public const string DiscoveryKey = "Discovery";

    private readonly ConcurrentDictionary<string, Lazy<Entry>> _entries = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The sources of a service, and the problems found in its <c>Discovery</c> section.</summary>
    public (IReadOnlyList<IEndpointSource> Sources, IReadOnlyList<string> Problems) For(string serviceName)
    {
        var entry = _entries.GetOrAdd(serviceName, static (name, self) => new Lazy<Entry>(() => self.Create(name)), this).Value;
        return (entry.Sources, entry.Problems);
    }

    private Entry Create(string serviceName)
    {
        var sources = new List<IEndpointSource>();
        var problems = new List<string>();
        foreach (var registration in services.GetServices<EndpointSourceRegistration>())
        {
            if (string.Equals(registration.ServiceName, serviceName, StringComparison.OrdinalIgnoreCase))
            {
                sources.Add(registration.Factory(services)
                    ?? throw new InvalidOperationException($"An endpoint source factory of service '{serviceName}' returned null."));
            }
        }

        if (services.GetService<IConfiguration>() is { } configuration)
        {
            var discovery = configuration.GetSection($"{LoadBalancingConfiguration.ServicesSection}:{serviceName}:{DiscoveryKey}");
            var providers = services.GetServices<IEndpointSourceProvider>().ToArray();
            foreach (var section in discovery.GetChildren())
            {
                var provider = providers.FirstOrDefault(p => string.Equals(p.Name, section.Key, StringComparison.OrdinalIgnoreCase));
                if (provider is null)
                {
                    var known = providers.Length == 0 ? "none is registered" : "registered: " + string.Join(", ", providers.Select(p => p.Name));
                    problems.Add($"Service '{serviceName}': {DiscoveryKey}:{section.Key} ({section.Path}) names no registered discovery provider ({known}); register one, e.g. services.Add{section.Key}Discovery().");
                    continue;
                }

                if (provider.CreateSource(serviceName, section, problems) is { } source)
                {
                    sources.Add(source);
                }
            }
        }

        foreach (var registry in services.GetServices<IEndpointRegistry>())
        {
            if (registry.CreateSource(serviceName) is { } source)
            {
                sources.Add(source);
            }
        }

        return new Entry([.. sources], [.. problems]);
    }

    private sealed record Entry(IEndpointSource[] Sources, string[] Problems);
}
