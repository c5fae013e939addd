using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Loadstone;

/// <summary>
/// Reads <c>LoadBalancing:Services:{service}:Endpoints</c> by hand (an entry is an address string or an object, which
/// the binder cannot build into an immutable <see cref="LoadBalancedEndpoint"/>), with the binder's strictness: an
/// unknown key in an endpoint object, an entry whose key is not an index and a section where a value belongs are
/// problems, each naming the service, the setting and its configuration key.
/// </summary>
internal static class EndpointsConfiguration
{
    public const string Key = "Endpoints";

    private const string Address = "Address";
    private const string Zone = "Zone";
    private const string Weight = "Weight";
    private const string Name = "Name";
    private const string Metadata = "Metadata";
    private static readonly string[] s_settings = [Address, Zone, Weight, Name, Metadata];

    /// <summary>Adds the endpoints of <paramref name="service"/>'s section to the options; problems go to its configuration problems.</summary>
    public static void Read(string service, IConfigurationSection serviceSection, LoadBalancingOptions options)
    {
        var subject = OptionsSchemas.Subject(service, serviceSection.Path);
        var endpoints = serviceSection.GetSection(Key);
        var problems = new List<string>();
        if (!string.IsNullOrEmpty(endpoints.Value))
        {
            problems.Add($"{subject(Key)} is a single value ('{EndpointValidation.Redact(endpoints.Value)}'), not an array; write Endpoints:0, Endpoints:1, ... (in JSON, \"Endpoints\": [ \"http://10.0.0.5:8080\" ]).");
        }

        foreach (var entry in endpoints.GetChildren())
        {
            var path = $"{Key}:{entry.Key}";
            if (entry.Key.Length == 0 || entry.Key.AsSpan().IndexOfAnyExceptInRange('0', '9') >= 0)
            {
                problems.Add($"{subject(path)} is not an array index; Endpoints is an array, written Endpoints:0, Endpoints:1, ...");
            }
            else if (ReadEntry(entry, path, subject, problems) is { } endpoint)
            {
                options.Endpoints.Add(endpoint);
            }
        }

        if (problems.Count > 0)
        {
            options.ConfigurationProblems.AddRange(problems);
            options.HasRejectedEndpoints = true;
        }
    }

    private static LoadBalancedEndpoint? ReadEntry(IConfigurationSection entry, string path, Func<string, string> subject, List<string> problems)
    {
        var children = entry.GetChildren().ToList();
        if (entry.Value is { } plain)
        {
            if (children.Count > 0)
            {
                problems.Add($"{subject(path)} is both an address and a section ({string.Join(", ", children.Select(c => c.Key))}); write either the address or an object with Address, Zone, Weight, Name and Metadata.");
                return null;
            }

            if (string.IsNullOrWhiteSpace(plain))
            {
                problems.Add($"{subject(path)} is empty; write the endpoint's address, such as http://10.0.0.5:8080.");
                return null;
            }

            return Create(plain, null, LoadBalancedEndpoint.DefaultWeight, null, null, subject(path), problems);
        }

        var before = problems.Count;
        foreach (var child in children)
        {
            var childPath = $"{path}:{child.Key}";
            if (!s_settings.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"{subject(childPath)} is not a known setting; an endpoint has {string.Join(", ", s_settings)}.{SettingsSchema.Suggestion(child.Key, s_settings)}");
            }
            else if (child.Key.Equals(Metadata, StringComparison.OrdinalIgnoreCase))
            {
                CheckMetadata(child, childPath, subject, problems);
            }
            else if (child.Value is null)
            {
                problems.Add($"{subject(childPath)} is a section; it must be a single value.");
            }
        }

        var address = entry[Address];
        if (string.IsNullOrWhiteSpace(address))
        {
            problems.Add($"{subject(path)} has no Address; write either the address itself or an object with Address, Zone, Weight, Name and Metadata.");
        }

        var weight = LoadBalancedEndpoint.DefaultWeight;
        if (entry[Weight] is { } weightText)
        {
            if (!int.TryParse(weightText, NumberStyles.Integer, CultureInfo.InvariantCulture, out weight))
            {
                problems.Add($"{subject($"{path}:{Weight}")} is '{weightText}'; it must be a whole number from {LoadBalancedEndpoint.MinWeight} to {LoadBalancedEndpoint.MaxWeight}.");
            }
            else if (weight is < LoadBalancedEndpoint.MinWeight or > LoadBalancedEndpoint.MaxWeight)
            {
                problems.Add($"{subject($"{path}:{Weight}")} is {weight}; it must be between {LoadBalancedEndpoint.MinWeight} and {LoadBalancedEndpoint.MaxWeight}.");
            }
        }

        if (problems.Count > before)
        {
            return null;
        }

        var metadata = entry.GetSection(Metadata).GetChildren()
            .Where(c => c.Value is not null)
            .ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal);
        if (EndpointValidation.ValidateName(entry[Name]) is { } nameProblem)
        {
            problems.Add($"{subject($"{path}:{Name}")} is '{entry[Name]}': {nameProblem}");
            return null;
        }

        return Create(address!, entry[Zone], weight, metadata, entry[Name], subject($"{path}:{Address}"), problems);
    }

    private static void CheckMetadata(IConfigurationSection metadata, string path, Func<string, string> subject, List<string> problems)
    {
        if (!string.IsNullOrEmpty(metadata.Value))
        {
            problems.Add($"{subject(path)} is a single value ('{metadata.Value}'); write its entries as {path}:{{name}}, e.g. {path}:version.");
        }

        foreach (var item in metadata.GetChildren().Where(c => c.Value is null))
        {
            problems.Add($"{subject($"{path}:{item.Key}")} is a section; a metadata value is a string.");
        }
    }

    private static LoadBalancedEndpoint? Create(string address, string? zone, int weight, Dictionary<string, string>? metadata, string? name,
        string subject, List<string> problems)
    {
        try
        {
            return new LoadBalancedEndpoint(address, zone, weight, metadata, name);
        }
        catch (ArgumentException ex)
        {
            problems.Add($"{subject}: {EndpointValidation.WithoutParameterName(ex.Message)}");
            return null;
        }
    }
}
