using System.Net;

namespace Loadstone.Discovery.Dns;

/// <summary>Checks DNS source options and reports every problem at once, naming the service, the setting and its configuration key.</summary>
internal static class DnsDiscoveryOptionsValidator
{
    internal static readonly TimeSpan MinRefreshFloor = TimeSpan.FromMilliseconds(100);
    internal static readonly TimeSpan MinRefreshCeiling = TimeSpan.FromHours(1);
    internal static readonly TimeSpan MaxRefreshCeiling = TimeSpan.FromHours(24);
    internal static readonly TimeSpan QueryTimeoutFloor = TimeSpan.FromMilliseconds(100);
    internal static readonly TimeSpan QueryTimeoutCeiling = TimeSpan.FromSeconds(60);
    internal static readonly TimeSpan RetryFloor = TimeSpan.FromMilliseconds(10);
    internal static readonly TimeSpan RetryCeiling = TimeSpan.FromHours(1);

    /// <summary>The configuration key of a service's DNS section.</summary>
    public static string SectionKey(string service) => $"LoadBalancing:Services:{service}:Discovery:Dns";

    public static List<string> Validate(string service, DnsDiscoveryOptions options)
    {
        var problems = new List<string>();
        var key = SectionKey(service);
        void Add(string setting, string problem) => problems.Add($"Service '{service}': DNS discovery {setting} ({key}:{setting}) {problem}");

        var hasSrv = !string.IsNullOrWhiteSpace(options.SrvName);
        var hasHost = !string.IsNullOrWhiteSpace(options.HostName);
        if (hasSrv == hasHost)
        {
            problems.Add(hasSrv
                ? $"Service '{service}': DNS discovery has both SrvName and HostName ({key}); set SrvName for SRV records or HostName and Port for A/AAAA records, not both."
                : $"Service '{service}': DNS discovery needs SrvName ({key}:SrvName), e.g. _http._tcp.catalog.ns.svc.cluster.local, or HostName and Port ({key}:HostName, {key}:Port) for A/AAAA records.");
        }

        if (hasSrv && !IsDnsName(options.SrvName!))
        {
            Add("SrvName", $"is '{options.SrvName}', which is not a DNS name.");
        }

        if (hasHost && !IsDnsName(options.HostName!))
        {
            Add("HostName", $"is '{options.HostName}', which is not a DNS host name.");
        }

        if (hasHost && options.Port is null)
        {
            Add("Port", "is missing; A/AAAA records carry no port, so set the port the instances listen on (1 to 65535).");
        }
        else if (options.Port is { } port && (port < 1 || port > 65535))
        {
            Add("Port", $"is {port}; it must be between 1 and 65535.");
        }

        if (hasSrv && !hasHost && options.Port is not null)
        {
            Add("Port", "is set, but SRV records carry their own ports; remove it.");
        }

        if (!string.Equals(options.Scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(options.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase))
        {
            Add("Scheme", $"is '{options.Scheme}'; it must be http or https.");
        }

        if (!Enum.IsDefined(options.AddressFamily))
        {
            Add("AddressFamily", $"is {options.AddressFamily}; it must be Any, IPv4 or IPv6.");
        }

        if (options.NameServer is { } server && !TryParseNameServer(server, out _))
        {
            Add("NameServer", $"is '{server}'; write an IP address with an optional port, e.g. 10.96.0.10, 127.0.0.1:5353 or [fd00::a]:53.");
        }

        for (var i = 0; i < options.SearchDomains.Count; i++)
        {
            if (!IsDnsName(options.SearchDomains[i] ?? ""))
            {
                Add($"SearchDomains:{i}", $"is '{options.SearchDomains[i]}', which is not a DNS name.");
            }
        }

        Range("MinRefreshInterval", options.MinRefreshInterval, MinRefreshFloor, MinRefreshCeiling);
        Range("MaxRefreshInterval", options.MaxRefreshInterval, options.MinRefreshInterval, MaxRefreshCeiling, " (from MinRefreshInterval)");
        Range("QueryTimeout", options.QueryTimeout, QueryTimeoutFloor, QueryTimeoutCeiling);
        Range("RetryDelay", options.RetryDelay, RetryFloor, RetryCeiling);
        Range("MaxRetryDelay", options.MaxRetryDelay, options.RetryDelay, RetryCeiling, " (from RetryDelay)");
        return problems;

        void Range(string setting, TimeSpan value, TimeSpan min, TimeSpan max, string? note = null)
        {
            if (value < min || value > max)
            {
                Add(setting, $"is {value}; it must be between {min}{note} and {max}.");
            }
        }
    }

    /// <summary>Parses <c>address</c>, <c>address:port</c> or <c>[v6]:port</c>; the port defaults to 53.</summary>
    public static bool TryParseNameServer(string text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (IPAddress.TryParse(text, out var bare))
        {
            endpoint = new IPEndPoint(bare, 53);
            return true;
        }

        if (IPEndPoint.TryParse(text, out var parsed) && parsed.Port is > 0 and <= 65535)
        {
            endpoint = parsed;
            return true;
        }

        return false;
    }

    private static bool IsDnsName(string name)
    {
        var trimmed = name.Trim().TrimEnd('.');
        if (trimmed.Length is 0 or > 253)
        {
            return false;
        }

        // SRV owner names start with underscore labels (_http._tcp), which Uri.CheckHostName does not accept.
        foreach (var label in trimmed.Split('.'))
        {
            if (label.Length is 0 or > 63 || label.StartsWith('-') || label.EndsWith('-')
                || label.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") >= 0)
            {
                return false;
            }
        }

        return !IPAddress.TryParse(trimmed, out _);
    }
}
