using Microsoft.Extensions.Configuration;

namespace Loadstone;

/// <summary>
/// The shapes of the options read from configuration (<see cref="SettingsSchema"/>): a service's
/// (<c>LoadBalancing:Services:{service}</c>) and a connection balancer's (<c>LoadBalancing:Connections:{service}</c>).
/// A class added below them must be listed here; tests/Loadstone.Tests/Configuration/OptionsSchemasTests.cs checks it.
/// </summary>
internal static class OptionsSchemas
{
    public static readonly SettingsSchema Service = new(
        new SectionType(typeof(LoadBalancingOptions), "a service", EndpointSourceCatalog.DiscoveryKey),
        new SectionType(typeof(EndpointHealthCheckOptions)),
        new SectionType(typeof(ActiveHealthCheckOptions)),
        new SectionType(typeof(OutlierDetectionOptions)),
        new SectionType(typeof(FailOpenOptions)),
        new SectionType(typeof(SlowStartOptions)),
        new SectionType(typeof(StickySessionOptions)),
        new SectionType(typeof(SubsettingOptions)),
        new SectionType(typeof(ZoneOptions)),
        new SectionType(typeof(RetryOptions)),
        new SectionType(typeof(RoutingRule)),
        new SectionType(typeof(RouteMatch)),
        new SectionType(typeof(HeaderMatch)),
        new SectionType(typeof(QueryMatch)),
        new SectionType(typeof(RouteForward)),
        new SectionType(typeof(WeightedPool)));

    public static readonly SettingsSchema Connections = new(
        new SectionType(typeof(ConnectionBalancerOptions), "a connection balancer"),
        new SectionType(typeof(ConnectionTlsOptions)));

    /// <summary>Binds a configuration holding one setting onto fresh service options, strictly; what it threw, or null.</summary>
    public static Exception? BindServiceAlone(IConfiguration setting)
    {
        try
        {
            setting.Bind(new LoadBalancingOptions(), static b => b.ErrorOnUnknownConfiguration = true);
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return ex;
        }
    }

    /// <summary>Binds a configuration holding one setting onto fresh connection balancer options, strictly.</summary>
    public static Exception? BindConnectionsAlone(IConfiguration setting)
    {
        try
        {
            setting.Bind(new ConnectionBalancerOptions(), static b => b.ErrorOnUnknownConfiguration = true);
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return ex;
        }
    }

    /// <summary>Names a setting of a service in a message: <c>Service 'catalog': Zones:Mode (LoadBalancing:Services:catalog:Zones:Mode)</c>.</summary>
    public static Func<string, string> Subject(string service, string sectionPath) =>
        relative => $"Service '{service}': {relative} ({sectionPath}:{relative})";
}
