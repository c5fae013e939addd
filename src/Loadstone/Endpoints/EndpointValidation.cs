namespace Loadstone;

/// <summary>The rules every endpoint address and endpoint set must follow, with messages that say what is wrong.</summary>
internal static class EndpointValidation
{
    /// <summary>The scheme of endpoints used only by connection balancing (<see cref="ConnectionBalancer"/>): <c>tcp</c>.</summary>
    public const string TcpScheme = "tcp";

    /// <summary>The lowest port an endpoint may have: 1 (port 0 is "any port" to a listener, and no address to connect to).</summary>
    public const int MinPort = 1;

    /// <summary>The highest port: 65535.</summary>
    public const int MaxPort = 65535;

    public static string? ValidateAddress(Uri address)
    {
        if (!address.IsAbsoluteUri)
        {
            return address.OriginalString.StartsWith('/') ? PathOnly(address.OriginalString) : NotAbsolute(address.OriginalString);
        }

        // On Unix, "/items" parses as an absolute file URI; it is a path someone meant to put after an address.
        if (address.IsFile && address.OriginalString.StartsWith('/'))
        {
            return PathOnly(address.OriginalString);
        }

        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps && address.Scheme != TcpScheme)
        {
            return $"'{Redact(address.OriginalString)}' has scheme '{address.Scheme}'; only http and https are supported.";
        }

        if (address.Scheme == TcpScheme && address.IsDefaultPort)
        {
            return $"'{Redact(address.OriginalString)}' has no port; a tcp endpoint is written tcp://host:port.";
        }

        if (address.Port is < MinPort and >= 0)
        {
            return PortOutOfRange(address.OriginalString, address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
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

    /// <summary>Why an address string that does not parse as an absolute URI fails, as precisely as the text tells.</summary>
    public static string DescribeUnparsable(string address)
    {
        var text = address.Trim();
        if (text.StartsWith('/'))
        {
            return PathOnly(text);
        }

        if (PortText(text) is { } port && port.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0
            && (port.Length > 5 || int.Parse(port, System.Globalization.CultureInfo.InvariantCulture) is < MinPort or > MaxPort))
        {
            return PortOutOfRange(text, port);
        }

        return NotAbsolute(text);
    }

    /// <summary>
    /// What is wrong with <c>host:port</c> text (or a URI) that does not parse, when the text tells: a bare path, or a
    /// port out of range; <see langword="null"/> otherwise.
    /// </summary>
    public static string? DescribeHostAndPort(string text)
    {
        var problem = DescribeUnparsable(text);
        return problem.EndsWith(NotAbsoluteSuffix, StringComparison.Ordinal) ? null : problem;
    }

    /// <summary>The message without the " (Parameter 'x')" that <see cref="ArgumentException"/> appends.</summary>
    public static string WithoutParameterName(string message)
    {
        var index = message.IndexOf(" (Parameter", StringComparison.Ordinal);
        return index < 0 ? message : message[..index];
    }

    private static string PathOnly(string address) =>
        $"'{Redact(address)}' is a path, not an absolute URI; write the endpoint's scheme and host first, such as http://10.0.0.5:8080{address} (a path after the host is kept in front of each request's path).";

    private const string NotAbsoluteSuffix = "' is not an absolute URI such as http://10.0.0.5:8080.";

    private static string NotAbsolute(string address) => $"'{Redact(address)}{NotAbsoluteSuffix}";

    private static string PortOutOfRange(string address, string port) =>
        $"'{Redact(address)}' has port {port}; a port must be between {MinPort} and {MaxPort}.";

    // The port as written in [scheme://][userinfo@]host:port/..., or null when there is none.
    private static string? PortText(string address)
    {
        var separator = address.IndexOf("://", StringComparison.Ordinal);
        var authority = address.AsSpan(separator < 0 ? 0 : separator + 3);
        var end = authority.IndexOfAny('/', '?', '#');
        authority = end < 0 ? authority : authority[..end];
        authority = authority[(authority.LastIndexOf('@') + 1)..];
        var colon = authority.StartsWith("[") ? authority.IndexOf("]:") + 1 : authority.LastIndexOf(':');
        return colon <= 0 || colon == authority.Length - 1 ? null : authority[(colon + 1)..].ToString();
    }

    public static string? ValidateWeight(int weight) =>
        weight is < LoadBalancedEndpoint.MinWeight or > LoadBalancedEndpoint.MaxWeight
            ? $"weight {weight} is outside the range {LoadBalancedEndpoint.MinWeight}-{LoadBalancedEndpoint.MaxWeight}."
            : null;

    /// <summary>
    /// A named endpoint is requested as <c>http://_{name}.{service}</c>, so its name is one host label: a name with a dot,
    /// a space or another character a host cannot hold could never be requested.
    /// </summary>
    public static string? ValidateName(string? name) =>
        string.IsNullOrWhiteSpace(name) || name.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") < 0
            ? null
            : $"endpoint name '{name}' could never be requested (as http://_{name}.service): a name holds only letters, digits, '-' and '_'.";

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

    /// <summary>
    /// Checks what an endpoint source answered: a list (not null) without null entries or duplicates, and not empty
    /// unless the source allows it. Returns every problem found, each naming the source and the service.
    /// </summary>
    public static List<string> ValidateUpdate(string serviceName, string sourceName, IReadOnlyList<LoadBalancedEndpoint?>? endpoints, bool allowEmpty)
    {
        var source = $"Endpoint source '{sourceName}' of service '{serviceName}'";
        if (endpoints is null)
        {
            return [$"{source} returned null."];
        }

        var problems = new List<string>();
        if (endpoints.Count == 0 && !allowEmpty)
        {
            problems.Add($"{source} returned no endpoints; an empty update is rejected unless the source allows it (AllowsEmpty).");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < endpoints.Count; i++)
        {
            if (endpoints[i] is not { } endpoint)
            {
                problems.Add($"{source} returned null at index {i}; every entry must be an endpoint.");
            }
            else if (!seen.Add(endpoint.Id))
            {
                problems.Add($"{source} lists endpoint '{endpoint.BaseAddress}' more than once.");
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
