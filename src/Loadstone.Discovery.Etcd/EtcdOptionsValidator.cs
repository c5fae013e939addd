using Problems = Loadstone.Etcd.EtcdSettingsProblems;

namespace Loadstone.Discovery.Etcd;

/// <summary>Checks etcd options and reports every problem at once, naming the setting (and, for sources, the service and configuration key).</summary>
internal static class EtcdOptionsValidator
{
    internal static readonly TimeSpan DrainDelayCeiling = TimeSpan.FromMinutes(5);

    public static string SectionKey(string service) => $"LoadBalancing:Services:{service}:Discovery:Etcd";

    public static List<string> ValidateSource(string service, EtcdDiscoveryOptions options)
    {
        var key = SectionKey(service);
        var problems = new Problems($"Service '{service}': etcd discovery", key);
        Common(problems, options.Endpoints, options.Prefix, options.RequestTimeout, options.RetryDelay, options.MaxRetryDelay);
        return problems.List;
    }

    public static List<string> ValidateRegistration(EtcdRegistrationOptions options)
    {
        var problems = new Problems("etcd registration", null);
        Common(problems, options.Endpoints, options.Prefix, options.RequestTimeout, options.RetryDelay, options.MaxRetryDelay);
        if (string.IsNullOrWhiteSpace(options.Address) && options.AddressFactory is null)
        {
            problems.Add("Address", "is missing; set the address clients should call (e.g. http://10.0.1.5:8080), or AddressFactory.");
        }
        else if (EndpointProblem(string.IsNullOrWhiteSpace(options.Address) ? "http://localhost" : options.Address, options.Name) is { } endpointProblem)
        {
            // The endpoint's own rules (address, name), checked at start rather than when the registration is first
            // written. Without an address (AddressFactory gives it later) only the name is checked, on a stand-in address.
            problems.Add(endpointProblem.Setting, endpointProblem.Problem);
        }

        if (options.Weight is < LoadBalancedEndpoint.MinWeight or > LoadBalancedEndpoint.MaxWeight)
        {
            problems.Add("Weight", $"is {options.Weight}; it must be between {LoadBalancedEndpoint.MinWeight} and {LoadBalancedEndpoint.MaxWeight}.");
        }

        if (options.InstanceId is { } id && (string.IsNullOrWhiteSpace(id) || id.Contains('/', StringComparison.Ordinal)))
        {
            problems.Add("InstanceId", $"is '{id}'; it must be non-empty and contain no '/', so the key stays directly under the prefix.");
        }

        problems.LeaseTtl(options.LeaseTtl);

        problems.Range("DrainDelay", options.DrainDelay, TimeSpan.Zero, DrainDelayCeiling);
        return problems.List;
    }

    private static (string Setting, string Problem)? EndpointProblem(string address, string? name)
    {
        try
        {
            _ = new LoadBalancedEndpoint(address, name: name);
            return null;
        }
        catch (ArgumentException ex)
        {
            var parameter = ex.Message.IndexOf(" (Parameter", StringComparison.Ordinal);
            var message = parameter < 0 ? ex.Message : ex.Message[..parameter];
            return ex.ParamName == "name" ? ("Name", $"is '{name}': {message}") : ("Address", $"is not valid: {message}");
        }
    }

    public static List<string> ValidatePeers(string service, EtcdPeerRegistryOptions options)
    {
        var problems = new Problems($"Service '{service}': etcd peer registry", null);
        problems.Common(options.Endpoints, options.Prefix, "the key prefix under which the service's clients register, e.g. /peers/catalog/", options.RequestTimeout, options.RetryDelay, options.MaxRetryDelay);
        problems.LeaseTtl(options.LeaseTtl);
        return problems.List;
    }

    private static void Common(Problems problems, IList<string> endpoints, string? prefix, TimeSpan requestTimeout, TimeSpan retryDelay, TimeSpan maxRetryDelay) =>
        problems.Common(endpoints, prefix, "the key prefix of the service's endpoints, e.g. /services/catalog/", requestTimeout, retryDelay, maxRetryDelay);
}
