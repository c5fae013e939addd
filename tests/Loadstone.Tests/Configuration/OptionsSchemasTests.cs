using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Loadstone.Tests.Configuration;

/// <summary>
/// The schemas that configuration is checked against before binding: they cover every section of the options, and
/// they accept every setting written correctly (a check that rejected a valid key would be worse than none).
/// </summary>
public sealed class OptionsSchemasTests
{
    [Theory]
    [InlineData(typeof(LoadBalancingOptions))]
    [InlineData(typeof(ConnectionBalancerOptions))]
    public void Schema_EverySectionTypeBelowTheOptions_IsListed(Type root)
    {
        var schema = root == typeof(LoadBalancingOptions) ? OptionsSchemas.Service : OptionsSchemas.Connections;
        var missing = SectionTypes(root).Where(t => t != typeof(EndpointCollection) && !schema.Knows(t)).Select(t => t.Name);

        Assert.Empty(missing);
    }

    [Fact]
    public void Check_EverySettingWithAValidValue_AcceptedAndBound()
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Settings(typeof(LoadBalancingOptions), "", settings);
        Assert.InRange(settings.Count, 60, int.MaxValue);
        var section = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.ToDictionary(kv => $"LoadBalancing:Services:catalog:{kv.Key}", kv => kv.Value))
            .Build()
            .GetSection("LoadBalancing:Services:catalog");
        var options = new LoadBalancingOptions();

        LoadBalancingConfiguration.Apply(section, options);

        Assert.Empty(options.ConfigurationProblems);
        Assert.Equal(TimeSpan.FromSeconds(7), options.LatencyDecayTime);
        Assert.Equal(ZoneRoutingMode.ZoneAware, options.Zones.Mode);
        Assert.Equal(["x"], options.Routes[0].Match.Headers[0].Values);
        Assert.Equal(0.5, options.Zones.CallerShares["a"]);
        Assert.True(options.UseServiceNameAsHost);
        Assert.Equal(TimeSpan.FromSeconds(7), options.Retries.AttemptTimeout);
    }

    [Theory]
    [InlineData("Zones:Mode", " zoneaware ")]
    [InlineData("Retries:MaxRetryAttempts", " 3 ")]
    [InlineData("Zones:LocalShare", "1e-1")]
    [InlineData("LatencyDecayTime", "00:00:05")]
    [InlineData("UseServiceNameAsHost", "TRUE")]
    [InlineData("HealthChecks:Active:Port", "")]
    [InlineData("Retries:AttemptTimeout", "")]
    [InlineData("DeregistrationDelay", "")]
    [InlineData("Zones:Mode", "")]
    [InlineData("Routes", "")]
    [InlineData("HealthChecks", "")]
    public void Check_ValuesTheBinderAccepts_NotReported(string key, string value)
    {
        var problems = new List<string>();

        var kept = OptionsSchemas.Service.Check([new(key, value)], k => k, OptionsSchemas.BindServiceAlone, problems);

        Assert.Empty(problems);
        Assert.Equal(value, kept[key]);
    }

    [Theory]
    [InlineData("Stratgy", "Strategy")]
    [InlineData("wieght", "Weight")]
    [InlineData("LocalZon", "LocalZone")]
    [InlineData("MaxConectAttempts", "MaxConnectAttempts")]
    [InlineData("Cookie", null)]
    [InlineData("Prio", null)]
    [InlineData("X", null)]
    public void Suggestion_NearestKnownName_OrNone(string typed, string? expected)
    {
        string[] known = ["Strategy", "Weight", "LocalZone", "MaxConnectAttempts", "Query", "Priority", "Zone"];

        Assert.Equal(expected is null ? "" : $" Did you mean {expected}?", SettingsSchema.Suggestion(typed, known));
    }

    // Every class a section of the options is bound onto: property types, list elements, dictionary values.
    private static HashSet<Type> SectionTypes(Type root)
    {
        var found = new HashSet<Type>();
        var pending = new Queue<Type>([root]);
        while (pending.TryDequeue(out var type))
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var target = Element(property.PropertyType);
                // Endpoints are read by hand (EndpointsConfiguration), not through the schema.
                if (target.IsClass && target != typeof(string) && target != typeof(Uri) && found.Add(target) && target != typeof(EndpointCollection))
                {
                    pending.Enqueue(target);
                }
            }
        }

        return found;
    }

    private static Type Element(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t.IsGenericType && t.GetGenericTypeDefinition() is var definition)
        {
            var arguments = t.GetGenericArguments();
            return definition == typeof(IList<>) ? arguments[0]
                : definition == typeof(IDictionary<,>) ? arguments[1]
                : t;
        }

        return t;
    }

    // A valid value for every setting, by reflection: the last name of an enum, 7 (seconds) for numbers and time spans.
    private static void Settings(Type type, string prefix, Dictionary<string, string?> settings)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var key = $"{prefix}{property.Name}";
            var t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (property.Name == nameof(LoadBalancingOptions.Endpoints) && type == typeof(LoadBalancingOptions))
            {
                settings[$"{key}:0"] = "http://10.0.0.1:8080";
            }
            else if (Scalar(t) is { } value)
            {
                if (property.SetMethod is { IsPublic: true })
                {
                    settings[key] = value;
                }
            }
            else if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IList<>))
            {
                var element = t.GetGenericArguments()[0];
                if (Scalar(element) is { } item)
                {
                    settings[$"{key}:0"] = item;
                }
                else
                {
                    Settings(element, $"{key}:0:", settings);
                }
            }
            else if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IDictionary<,>))
            {
                settings[$"{key}:a"] = "0.5";
            }
            else
            {
                Settings(t, $"{key}:", settings);
            }
        }
    }

    private static string? Scalar(Type t) =>
        t == typeof(string) ? "x"
        : t == typeof(bool) ? "true"
        : t == typeof(int) ? "7"
        : t == typeof(double) ? "0.5"
        : t == typeof(TimeSpan) ? "00:00:07"
        : t.IsEnum ? Enum.GetNames(t)[^1]
        : null;
}
