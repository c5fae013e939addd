namespace Loadstone;

/// <summary>The rules every endpoint address and endpoint set must follow, with messages that say what is wrong.</summary>
internal static class EndpointValidation
{
    /// <summary>The scheme of endpoints used only by connection balancing (<see cref="ConnectionBalancer"/>): <c>tcp</c>.</summary>
    public const string TcpScheme = "tcp";

    public static string? ValidateAddress(Uri address)
    {
        if (!address.IsAbsoluteUri)
        {
            return $"'{Redact(address.OriginalString)}' is not an absolute URI such as http://10.0.0.5:8080.";
        }

        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps && address.Scheme != TcpScheme)
        {
            return $"'{Redact(address.OriginalString)}' has scheme '{address.Scheme}'; only http and https are supported.";
        }

        if (address.Scheme == TcpScheme && address.IsDefaultPort)
        {
            return $"'{Redact(address.OriginalString)}' has no port; a tcp endpoint is written tcp://host:port.";
        }

        if (!string.IsNullOrEmpty(address.UserInfo))
        {
            return $"'{Redact(address)}' carries credentials in the URI; pass credentials in request headers instead.";
        }

        if (!string.IsNullOrEmpty(address.Query) || !string.IsNullOrEmpty(address.Fragment))
        {
            return $"'{address.OriginalString}' has a query or fragment; an endpoint address may only have a path prefix.";
        }

        return null;
    }

    public static string? ValidateWeight(int weight) =>
        weight is < LoadBalancedEndpoint.MinWeight or > LoadBalancedEndpoint.MaxWeight
            ? $"weight {weight} is outside the range {LoadBalancedEndpoint.MinWeight}-{LoadBalancedEndpoint.MaxWeight}."
            : null;

    /// <summary>Checks a whole set: not empty, no duplicates. Returns every problem found.</summary>
    public static List<string> ValidateSet(string serviceName, IReadOnlyList<LoadBalancedEndpoint> endpoints, bool allowEmpty = false)
    {
        var problems = new List<string>();
        if (endpoints.Count == 0 && !allowEmpty)
        {
            problems.Add($"Service '{serviceName}' has no endpoints.");
            return problems;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints)
        {
            if (!seen.Add(endpoint.Id))
            {
                problems.Add($"Service '{serviceName}' lists endpoint '{endpoint.BaseAddress}' more than once.");
            }
        }

        return problems;
    }

    /// <summary>The URI with any user information replaced, so credentials never reach a message or a log.</summary>
    public static string Redact(Uri address) => Redact(address.OriginalString);

    /// <summary>
    /// The address text with anything before an '@' in its authority replaced by <c>***</c>. Works on text, not a
    /// parsed <see cref="Uri"/>, so it also covers addresses that do not parse or have a scheme we reject.
    /// </summary>
    public static string Redact(string address)
    {
        var separator = address.IndexOf("://", StringComparison.Ordinal);
        var start = separator < 0 ? 0 : separator + 3;
        var authority = address.AsSpan(start);
        var end = authority.IndexOfAny('/', '?', '#');
        var at = (end < 0 ? authority : authority[..end]).LastIndexOf('@');
        return at < 0 ? address : string.Concat(address.AsSpan(0, start), "***", address.AsSpan(start + at));
    }
}
