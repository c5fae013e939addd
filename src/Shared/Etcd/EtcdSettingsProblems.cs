namespace Loadstone.Etcd;

/// <summary>
/// Collects the problems of an etcd client's settings, each naming the setting (and its configuration key, when it
/// has one), so that every problem is reported at once. Shared source file of the etcd packages.
/// </summary>
internal sealed class EtcdSettingsProblems(string subject, string? key)
{
    public static readonly TimeSpan RequestTimeoutFloor = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan RequestTimeoutCeiling = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan RetryFloor = TimeSpan.FromMilliseconds(10);
    public static readonly TimeSpan RetryCeiling = TimeSpan.FromHours(1);
    public static readonly TimeSpan LeaseTtlFloor = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan LeaseTtlCeiling = TimeSpan.FromHours(1);

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

    /// <summary>The settings every etcd client has: the cluster's URLs, a key prefix, the request timeout and the back-off.</summary>
    public void Common(IList<string> endpoints, string? prefix, string prefixHint, TimeSpan requestTimeout, TimeSpan retryDelay, TimeSpan maxRetryDelay)
    {
        if (endpoints.Count == 0)
        {
            Add("Endpoints", "is empty; list the etcd cluster's client URLs, e.g. http://10.0.0.10:2379.");
        }

        for (var i = 0; i < endpoints.Count; i++)
        {
            if (!Uri.TryCreate(endpoints[i]?.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                Add($"Endpoints:{i}", $"is '{endpoints[i]}'; it must be an http or https URL such as http://10.0.0.10:2379.");
            }
        }

        if (string.IsNullOrWhiteSpace(prefix))
        {
            Add("Prefix", $"is missing; set {prefixHint}.");
        }

        Range("RequestTimeout", requestTimeout, RequestTimeoutFloor, RequestTimeoutCeiling);
        Range("RetryDelay", retryDelay, RetryFloor, RetryCeiling);
        Range("MaxRetryDelay", maxRetryDelay, retryDelay, RetryCeiling, " (from RetryDelay)");
    }

    /// <summary>A lease's TTL: whole seconds (etcd's unit) within range.</summary>
    public void LeaseTtl(TimeSpan ttl)
    {
        if (ttl < LeaseTtlFloor || ttl > LeaseTtlCeiling || ttl.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            Add("LeaseTtl", $"is {ttl}; it must be a whole number of seconds between {LeaseTtlFloor} and {LeaseTtlCeiling}.");
        }
    }
}
