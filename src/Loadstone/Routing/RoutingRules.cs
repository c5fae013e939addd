namespace Loadstone;

/// <summary>Checks a service's routing rules.</summary>
internal static class RoutingRules
{
    /// <summary>Every problem with the rules, each naming the rule, the setting and its configuration key.</summary>
    /// <param name="service">The service, for the messages.</param>
    /// <param name="rules">The rules, in configuration order.</param>
    /// <param name="hasStickyKey">Whether the service has a sticky key source (group stickiness needs one).</param>
    public static List<string> Validate(string service, IList<RoutingRule> rules, bool hasStickyKey)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var problems = new List<string>();
        var priorities = new Dictionary<int, int>();
        for (var r = 0; r < rules.Count; r++)
        {
            var rule = rules[r];
            var key = $"LoadBalancing:Services:{service}:Routes:{r}";
            var label = rule.Name is null ? $"Service '{service}': route {r}" : $"Service '{service}': route '{rule.Name}'";
            if (rule.Priority < RoutingRule.MinPriority || rule.Priority > RoutingRule.MaxPriority)
            {
                problems.Add($"{label}: Priority ({key}:Priority) is {rule.Priority}; it must be between {RoutingRule.MinPriority} and {RoutingRule.MaxPriority}.");
            }
            else if (priorities.TryGetValue(rule.Priority, out var other))
            {
                problems.Add($"{label}: Priority ({key}:Priority) {rule.Priority} is also the priority of route {other}; priorities must be unique.");
            }
            else
            {
                priorities[rule.Priority] = r;
            }

            var match = rule.Match;
            Patterns(problems, label, $"{key}:Match:Hosts", "Match.Hosts", match.Hosts);
            Patterns(problems, label, $"{key}:Match:Paths", "Match.Paths", match.Paths);
            Patterns(problems, label, $"{key}:Match:Methods", "Match.Methods", match.Methods);
            NeverMatching(problems, label, key, match);
            for (var h = 0; h < match.Headers.Count; h++)
            {
                var header = match.Headers[h];
                if (string.IsNullOrWhiteSpace(header.Name) || header.Name.AsSpan().IndexOfAny('*', '?') >= 0)
                {
                    problems.Add($"{label}: Match.Headers[{h}].Name ({key}:Match:Headers:{h}:Name) must be a header name without wildcards.");
                }

                Values(problems, label, $"{key}:Match:Headers:{h}:Values", $"Match.Headers[{h}].Values", header.Values);
            }

            for (var q = 0; q < match.Query.Count; q++)
            {
                Values(problems, label, $"{key}:Match:Query:{q}:Values", $"Match.Query[{q}].Values", match.Query[q].Values);
            }

            Forward(problems, label, $"{key}:Forward", rule.Forward, hasStickyKey);
        }

        UniqueNames(problems, service, rules);
        return problems;
    }

    // A rule's name tags its metric and carries its group-stickiness bindings across reloads: two rules sharing one
    // would mix their counts and hand one rule's bindings to the other.
    private static void UniqueNames(List<string> problems, string service, IList<RoutingRule> rules)
    {
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var r = 0; r < rules.Count; r++)
        {
            if (rules[r].Name is { } name && !names.TryAdd(name, r))
            {
                problems.Add($"Service '{service}': route {r}: Name (LoadBalancing:Services:{service}:Routes:{r}:Name) is '{name}', which is also the name of route {names[name]}; names must be unique.");
            }
        }
    }

    private static void Forward(List<string> problems, string label, string key, RouteForward forward, bool hasStickyKey)
    {
        var single = !string.IsNullOrWhiteSpace(forward.Pool);
        if (single == forward.Pools.Count > 0)
        {
            problems.Add($"{label}: Forward ({key}) must set either Pool (one pool) or Pools (a weighted split), not {(single ? "both" : "neither")}.");
            return;
        }

        if (forward.Pools.Count > RouteForward.MaxPools)
        {
            problems.Add($"{label}: Forward.Pools ({key}:Pools) has {forward.Pools.Count} pools; at most {RouteForward.MaxPools} are allowed.");
        }

        var total = 0;
        for (var p = 0; p < forward.Pools.Count; p++)
        {
            var pool = forward.Pools[p];
            if (string.IsNullOrWhiteSpace(pool.Pool))
            {
                problems.Add($"{label}: Forward.Pools[{p}].Pool ({key}:Pools:{p}:Pool) is empty; name the service whose pool it is.");
            }

            if (pool.Weight < 0 || pool.Weight > WeightedPool.MaxWeight)
            {
                problems.Add($"{label}: Forward.Pools[{p}].Weight ({key}:Pools:{p}:Weight) is {pool.Weight}; it must be between 0 and {WeightedPool.MaxWeight}.");
            }
            else
            {
                total += pool.Weight;
            }
        }

        if (forward.Pools.Count > 0 && total == 0)
        {
            problems.Add($"{label}: Forward.Pools ({key}:Pools) all have weight 0; at least one must be above 0.");
        }

        if (forward.Stickiness is { } stickiness)
        {
            if (stickiness < RouteForward.MinStickiness || stickiness > RouteForward.MaxStickiness)
            {
                problems.Add($"{label}: Forward.Stickiness ({key}:Stickiness) is {stickiness}; it must be between {RouteForward.MinStickiness} and {RouteForward.MaxStickiness}.");
            }
            else if (!hasStickyKey)
            {
                problems.Add($"{label}: Forward.Stickiness ({key}:Stickiness) needs a sticky key; set StickySessions.KeySource and KeyName for the service.");
            }
        }
    }

    // Conditions that can never hold: the rule would silently never apply.
    private static void NeverMatching(List<string> problems, string label, string key, RouteMatch match)
    {
        for (var i = 0; i < match.Paths.Count; i++)
        {
            if (match.Paths[i] is { Length: > 0 } path && path[0] is not ('/' or '*' or '?'))
            {
                problems.Add($"{label}: Match.Paths[{i}] ({key}:Match:Paths:{i}) is '{path}'; request paths start with '/', so it can never match: write '/{path}'.");
            }
        }

        for (var i = 0; i < match.Hosts.Count; i++)
        {
            if (HostPatternProblem(match.Hosts[i]) is { } problem)
            {
                problems.Add($"{label}: Match.Hosts[{i}] ({key}:Match:Hosts:{i}) is '{match.Hosts[i]}'; {problem}");
            }
        }

        for (var i = 0; i < match.Methods.Count; i++)
        {
            var method = match.Methods[i];
            if (string.IsNullOrEmpty(method))
            {
                continue; // reported as empty
            }

            if (method.AsSpan().IndexOfAny('*', '?') >= 0 || !IsToken(method))
            {
                problems.Add($"{label}: Match.Methods[{i}] ({key}:Match:Methods:{i}) is '{method}'; a method is matched exactly, without wildcards or spaces: write one method, such as GET.");
            }
            else if (method.Any(char.IsAsciiLetterLower))
            {
                problems.Add($"{label}: Match.Methods[{i}] ({key}:Match:Methods:{i}) is '{method}'; methods are matched exactly and request methods are upper-case, so it can never match: write '{method.ToUpperInvariant()}'.");
            }
        }

        for (var h = 0; h < match.Headers.Count; h++)
        {
            var name = match.Headers[h].Name;
            if (!string.IsNullOrWhiteSpace(name) && name.AsSpan().IndexOfAny('*', '?') < 0 && !IsToken(name))
            {
                problems.Add($"{label}: Match.Headers[{h}].Name ({key}:Match:Headers:{h}:Name) is '{name}'; a header name has no spaces or separators (letters, digits and !#$%&'*+-.^_`|~), so it can never match.");
            }
        }

        for (var q = 0; q < match.Query.Count; q++)
        {
            if (match.Query[q].Key is { Length: 0 })
            {
                problems.Add($"{label}: Match.Query[{q}].Key ({key}:Match:Query:{q}:Key) is empty; name the parameter, or leave Key out to match any parameter.");
            }
        }
    }

    // Hosts are compared without their port (and an IP literal with its brackets), case-insensitively.
    private static string? HostPatternProblem(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            return null; // reported as empty
        }

        if (pattern.StartsWith('[') && pattern.EndsWith(']')
            && pattern.AsSpan(1, pattern.Length - 2).IndexOfAnyExcept("0123456789abcdefABCDEF:.*?") < 0)
        {
            return null;
        }

        var colon = pattern.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && pattern.AsSpan(colon + 1).IndexOfAnyExceptInRange('0', '9') < 0 && IsHostPattern(pattern.AsSpan(0, colon)))
        {
            return $"hosts are matched without their port, so it can never match: write '{pattern[..colon]}'.";
        }

        return IsHostPattern(pattern)
            ? null
            : "a host pattern holds only letters, digits, '-', '.', '_' and the wildcards '*' and '?' (no spaces, schemes, ports or paths), so it can never match.";
    }

    private static bool IsHostPattern(ReadOnlySpan<char> pattern) =>
        pattern.IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._*?") < 0;

    // RFC 9110 token: the characters a method or a header name may hold.
    private static bool IsToken(string text) =>
        text.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~") < 0;

    private static void Patterns(List<string> problems, string label, string key, string setting, IList<string> values)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (string.IsNullOrEmpty(values[i]))
            {
                problems.Add($"{label}: {setting}[{i}] ({key}:{i}) is empty.");
            }
        }
    }

    private static void Values(List<string> problems, string label, string key, string setting, IList<string> values)
    {
        if (values.Count == 0)
        {
            problems.Add($"{label}: {setting} ({key}) is empty; give at least one value pattern.");
        }

        Patterns(problems, label, key, setting, values);
    }
}
