using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Loadstone;

/// <summary>
/// Reads a service's options from <c>LoadBalancing:Services:{service}</c> and its endpoints from there and from the
/// Microsoft.Extensions.ServiceDiscovery schema (<c>Services:{service}</c>). Problems are collected into the options
/// and reported by validation, all at once, never thrown half-way.
/// </summary>
/// <param name="configuration">The application's configuration.</param>
/// <param name="readServicesSection">
/// Whether to read the <c>Services:{service}</c> schema; <see langword="false"/> when a registry reads it itself.
/// </param>
internal sealed class LoadBalancingConfiguration(IConfiguration configuration, bool readServicesSection = true) : IConfigureNamedOptions<LoadBalancingOptions>
{
    public const string ServicesSection = "LoadBalancing:Services";

    public void Configure(LoadBalancingOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, LoadBalancingOptions options)
    {
        if (string.IsNullOrEmpty(name))
        {
            return;
        }

        var section = configuration.GetSection($"{ServicesSection}:{name}");
        if (section.Exists())
        {
            Apply(section, options, name);
        }

        if (readServicesSection)
        {
            AddServiceDiscoveryEndpoints(name, options);
        }
    }

    /// <summary>Binds a service's section onto its options and reads its endpoints; problems go to the options.</summary>
    /// <param name="section">The service's section, <c>LoadBalancing:Services:{service}</c>.</param>
    /// <param name="options">The options.</param>
    /// <param name="service">The service, for messages; the section's key when not given.</param>
    internal static void Apply(IConfigurationSection section, LoadBalancingOptions options, string? service = null)
    {
        service ??= section.Key;
        BindSettings(section, options, service);
        EndpointsConfiguration.Read(service, section, options);
    }

    // The Services schema's reader reports its problems by configuration key; they are told with the service too, and
    // an address it rejects means the service's endpoints are incomplete rather than missing.
    private void AddServiceDiscoveryEndpoints(string name, LoadBalancingOptions options)
    {
        var before = options.ConfigurationProblems.Count;
        ServiceDiscoveryConfiguration.AddEndpoints(configuration, name, options);
        for (var i = before; i < options.ConfigurationProblems.Count; i++)
        {
            options.ConfigurationProblems[i] = $"Service '{name}': {options.ConfigurationProblems[i]}";
            options.HasRejectedEndpoints = true;
        }
    }

    // Every setting but the endpoints goes through the binder, which rejects unknown keys so a typo is reported. Each
    // key is checked against the options' schema first, so that every problem is reported (the binder stops at its
    // first) with the service, the key and what would be right.
    private static void BindSettings(IConfigurationSection section, LoadBalancingOptions options, string service)
    {
        var settings = section.AsEnumerable(makePathsRelative: true)
            .Where(kv => kv.Value is not null && !IsReadElsewhere(kv.Key, EndpointsConfiguration.Key) && !IsReadElsewhere(kv.Key, EndpointSourceCatalog.DiscoveryKey));
        var valid = OptionsSchemas.Service.Check(settings, OptionsSchemas.Subject(service, section.Path), OptionsSchemas.BindServiceAlone, options.ConfigurationProblems);
        if (valid.Count == 0)
        {
            return;
        }

        var view = new ConfigurationBuilder().AddInMemoryCollection(valid).Build();
        try
        {
            // The binder's source generator binds every setting; it reports (SYSLIB1100/1101) that it cannot bind
            // Endpoints (immutable LoadBalancedEndpoint objects, or plain URI strings), which EndpointsConfiguration reads instead.
#pragma warning disable SYSLIB1100, SYSLIB1101
            view.Bind(options, static b => b.ErrorOnUnknownConfiguration = true);
#pragma warning restore SYSLIB1100, SYSLIB1101
        }
        catch (InvalidOperationException ex)
        {
            // Only a combination of keys the schema passed one by one gets here; say what the binder says.
            var message = ex.InnerException is null ? ex.Message : $"{ex.Message} {ex.InnerException.Message}";
            options.ConfigurationProblems.Add($"Service '{service}': {section.Path}: {message}");
        }
    }

    // Endpoints are read by EndpointsConfiguration, Discovery sections by the discovery providers (EndpointSourceCatalog).
    private static bool IsReadElsewhere(string key, string section) =>
        key.Equals(section, StringComparison.OrdinalIgnoreCase) || key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase);
}
