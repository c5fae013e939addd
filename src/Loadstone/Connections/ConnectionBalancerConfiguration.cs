using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Loadstone;

/// <summary>
/// Reads <see cref="ConnectionBalancerOptions"/> from <c>LoadBalancing:Connections:{service}</c> when the container has an
/// <see cref="IConfiguration"/>. Unknown keys and values that do not convert are reported by validation, with every
/// other problem, rather than ignored.
/// </summary>
internal sealed class ConnectionBalancerConfiguration(IServiceProvider services) : IConfigureNamedOptions<ConnectionBalancerOptions>
{
    /// <summary>The configuration section: <c>LoadBalancing:Connections</c>.</summary>
    public const string Section = "LoadBalancing:Connections";

    public void Configure(ConnectionBalancerOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, ConnectionBalancerOptions options)
    {
        if (name is null || services.GetService(typeof(IConfiguration)) is not IConfiguration configuration)
        {
            return;
        }

        var section = configuration.GetSection($"{Section}:{name}");
        if (!section.Exists())
        {
            return;
        }

        // Checked key by key first, so that every problem is reported with the service, the key and what would be right.
        var settings = section.AsEnumerable(makePathsRelative: true).Where(kv => kv.Value is not null);
        var valid = OptionsSchemas.Connections.Check(settings, OptionsSchemas.Subject(name, section.Path), OptionsSchemas.BindConnectionsAlone, options.ConfigurationProblems);
        try
        {
            new ConfigurationBuilder().AddInMemoryCollection(valid).Build().Bind(options, static b => b.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            var message = ex.InnerException is null ? ex.Message : $"{ex.Message} {ex.InnerException.Message}";
            options.ConfigurationProblems.Add($"Service '{name}': {section.Path}: {message}");
        }
    }
}

/// <summary>Validates <see cref="ConnectionBalancerOptions"/> when the container builds them (and at start-up).</summary>
internal sealed class ConnectionBalancerOptionsValidator : IValidateOptions<ConnectionBalancerOptions>
{
    public ValidateOptionsResult Validate(string? name, ConnectionBalancerOptions options)
    {
        var problems = options.Problems(name ?? Options.DefaultName);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
