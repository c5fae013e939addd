using System.Globalization;
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
    private const string EndpointsKey = "Endpoints";

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
            Apply(section, options);
        }

        if (readServicesSection)
        {
            ServiceDiscoveryConfiguration.AddEndpoints(configuration, name, options);
        }
    }

    internal static void Apply(IConfigurationSection section, LoadBalancingOptions options)
    {
        BindScalars(section, options);
        foreach (var entry in section.GetSection(EndpointsKey).GetChildren())
        {
            var path = entry.Path;
            try
            {
                options.Endpoints.Add(ReadEndpoint(entry));
            }
            catch (ArgumentException ex)
            {
                options.ConfigurationProblems.Add($"{path}: {FirstSentence(ex.Message)}");
            }
            catch (FormatException ex)
            {
                options.ConfigurationProblems.Add($"{path}: {ex.Message}");
            }
        }
    }

    // Every option but the endpoints goes through the binder, which rejects unknown keys so a typo is reported.
    private static void BindScalars(IConfigurationSection section, LoadBalancingOptions options)
    {
        var scalars = section.AsEnumerable(makePathsRelative: true)
            .Where(kv => kv.Value is not null && !IsReadElsewhere(kv.Key, EndpointsKey) && !IsReadElsewhere(kv.Key, EndpointSourceCatalog.DiscoveryKey))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        if (scalars.Count == 0)
        {
            return;
        }

        var view = new ConfigurationBuilder().AddInMemoryCollection(scalars).Build();
        try
        {
            // The binder's source generator binds every setting; it reports (SYSLIB1100/1101) that it cannot bind
            // Endpoints (immutable LoadBalancedEndpoint objects, or plain URI strings), which ReadEndpoint reads instead.
#pragma warning disable SYSLIB1100, SYSLIB1101
            view.Bind(options, static b => b.ErrorOnUnknownConfiguration = true);
#pragma warning restore SYSLIB1100, SYSLIB1101
        }
        catch (InvalidOperationException ex)
        {
            var message = ex.InnerException is null ? ex.Message : $"{ex.Message} {ex.InnerException.Message}";
            options.ConfigurationProblems.Add($"{section.Path}: {message}");

            // The binder gives up on the whole section at an unknown key, before binding the known ones; bind those
            // anyway so that their own problems (an unknown strategy, a range) are reported in the same message.
            try
            {
#pragma warning disable SYSLIB1100, SYSLIB1101
                view.Bind(options);
#pragma warning restore SYSLIB1100, SYSLIB1101
            }
            catch (InvalidOperationException)
            {
                // A value that does not convert was reported above, or is the next problem after the typo is fixed.
            }
        }
    }

    // Endpoints are read by ReadEndpoint, Discovery sections by the discovery providers (EndpointSourceCatalog).
    private static bool IsReadElsewhere(string key, string section) =>
        key.Equals(section, StringComparison.OrdinalIgnoreCase) || key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase);

    private static LoadBalancedEndpoint ReadEndpoint(IConfigurationSection entry)
    {
        if (entry.Value is { } plain)
        {
            return new LoadBalancedEndpoint(plain);
        }

        var address = entry["Address"];
        if (string.IsNullOrWhiteSpace(address))
        {
            throw new FormatException("the endpoint has no Address; write either the URI itself or an object with Address, Zone, Weight, Name and Metadata.");
        }

        var weight = LoadBalancedEndpoint.DefaultWeight;
        if (entry["Weight"] is { } weightText
            && !int.TryParse(weightText, NumberStyles.Integer, CultureInfo.InvariantCulture, out weight))
        {
            throw new FormatException($"Weight '{weightText}' is not a whole number from {LoadBalancedEndpoint.MinWeight} to {LoadBalancedEndpoint.MaxWeight}.");
        }

        var metadata = entry.GetSection("Metadata").GetChildren()
            .Where(c => c.Value is not null)
            .ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal);
        return new LoadBalancedEndpoint(address, entry["Zone"], weight, metadata, entry["Name"]);
    }

    private static string FirstSentence(string message)
    {
        // ArgumentException appends " (Parameter 'x')"; the rest of the message already names the problem.
        var index = message.IndexOf(" (Parameter", StringComparison.Ordinal);
        return index < 0 ? message : message[..index];
    }
}
