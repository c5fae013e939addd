namespace Loadstone.Discovery.Etcd;

/// <summary>Checks etcd options and reports every problem at once, naming the setting (and, for sources, the service and configuration key).</summary>
internal static class EtcdOptionsValidator
{
    internal static readonly TimeSpan RequestTimeoutFloor = TimeSpan.FromMilliseconds(100);
    internal static readonly TimeSpan RequestTimeoutCeiling = TimeSpan.FromMinutes(5);
    internal static readonly TimeSpan RetryFloor = TimeSpan.FromMilliseconds(10);
    internal static readonly TimeSpan RetryCeiling = TimeSpan.FromHours(1);
    internal static readonly TimeSpan LeaseTtlFloor = TimeSpan.FromSeconds(2);
    internal static readonly TimeSpan LeaseTtlCeiling = TimeSpan.FromHours(1);
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

        if (options.LeaseTtl < LeaseTtlFloor || options.LeaseTtl > LeaseTtlCeiling || options.LeaseTtl.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            problems.Add("LeaseTtl", $"is {options.LeaseTtl}; it must be a whole number of seconds between {LeaseTtlFloor} and {LeaseTtlCeiling}.");
        }

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

    private static void Common(Problems problems, IList<string> endpoints, string? prefix, TimeSpan requestTimeout, TimeSpan retryDelay, TimeSpan maxRetryDelay)
    {
        if (endpoints.Count == 0)
        {
            problems.Add("Endpoints", "is empty; list the etcd cluster's client URLs, e.g. http://10.0.0.10:2379.");
        }

        for (var i = 0; i < endpoints.Count; i++)
        {
            if (!Uri.TryCreate(endpoints[i]?.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                problems.Add($"Endpoints:{i}", $"is '{endpoints[i]}'; it must be an http or https URL such as http://10.0.0.10:2379.");
            }
        }

        if (string.IsNullOrWhiteSpace(prefix))
        {
            problems.Add("Prefix", "is missing; set the key prefix of the service's endpoints, e.g. /services/catalog/.");
        }

        problems.Range("RequestTimeout", requestTimeout, RequestTimeoutFloor, RequestTimeoutCeiling);
        problems.Range("RetryDelay", retryDelay, RetryFloor, RetryCeiling);
        problems.Range("MaxRetryDelay", maxRetryDelay, retryDelay, RetryCeiling, " (from RetryDelay)");
    }

    private sealed class Problems(string subject, string? key)
    {
        public List<string> List { get; } = [];

        public void Add(string setting, string problem) =>
            List.Add(key is null ? $"{subject} {setting} {problem}" : $"{subject} {setting} ({key}:{setting}) {problem}");

        public void Range(string setting, TimeSpan value, TimeSpan min, TimeSpan max, string? note = null)
        {
            if (value < min || value > max)
            {
                Add(setting, $"is {value}; it must be between {min}{note} and {max}.");
            }
        }
    }
}
