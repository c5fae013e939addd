using Microsoft.Extensions.Options;

namespace Loadstone;

/// <summary>
/// Checks a service's options and reports every problem at once, each naming the service and the setting
/// (with its configuration key) so the fix is obvious from the message.
/// </summary>
internal sealed class LoadBalancingOptionsValidator(StrategyCatalog strategies, Func<string, ServiceFacts>? facts = null) : IValidateOptions<LoadBalancingOptions>
{
    internal static readonly TimeSpan MinLatencyDecayTime = TimeSpan.FromMilliseconds(100);
    internal static readonly TimeSpan MaxLatencyDecayTime = TimeSpan.FromMinutes(10);
    internal static readonly TimeSpan MaxInitialLatency = TimeSpan.FromMinutes(1);

    public ValidateOptionsResult Validate(string? name, LoadBalancingOptions options)
    {
        var service = name ?? Options.DefaultName;
        var problems = Problems(service, options, facts?.Invoke(service) ?? default);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <param name="service">The service.</param>
    /// <param name="options">Its settings.</param>
    /// <param name="facts">What the service has besides its settings: endpoint sources, a strategy built in code.</param>
    public List<string> Problems(string service, LoadBalancingOptions options, ServiceFacts facts)
    {
        var problems = new List<string>(options.ConfigurationProblems);
        var key = $"LoadBalancing:Services:{service}";

        if (!facts.HasStrategyFactory)
        {
            if (string.IsNullOrWhiteSpace(options.Strategy))
            {
                problems.Add($"Service '{service}': Strategy ({key}:Strategy) is empty; use one of {string.Join(", ", strategies.Names)}.");
            }
            else if (!strategies.IsKnown(options.Strategy))
            {
                problems.Add($"Service '{service}': Strategy '{options.Strategy}' ({key}:Strategy) is not a known strategy; use one of {string.Join(", ", strategies.Names)}, or register it with AddLoadBalancingStrategy.");
            }
        }

        if (options.LatencyDecayTime < MinLatencyDecayTime || options.LatencyDecayTime > MaxLatencyDecayTime)
        {
            problems.Add($"Service '{service}': LatencyDecayTime ({key}:LatencyDecayTime) is {options.LatencyDecayTime}; it must be between {MinLatencyDecayTime} and {MaxLatencyDecayTime}.");
        }

        if (options.InitialLatency < TimeSpan.Zero || options.InitialLatency > MaxInitialLatency)
        {
            problems.Add($"Service '{service}': InitialLatency ({key}:InitialLatency) is {options.InitialLatency}; it must be between 00:00:00 and {MaxInitialLatency}.");
        }

        ValidateHealth(problems, service, key, options);
        ValidateRetries(problems, service, key, options.Retries);
        var slow = options.SlowStart;
        if (slow.Window != TimeSpan.Zero)
        {
            Range(problems, service, key, "SlowStart:Window", slow.Window, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(900), " (or 00:00:00 for off)");
        }

        Range(problems, service, key, "SlowStart:MinimumWeightPercent", slow.MinimumWeightPercent, 1, 100);
        Range(problems, service, key, "SlowStart:Aggression", slow.Aggression, 0.1, 10);
        Range(problems, service, key, "DeregistrationDelay", options.DeregistrationDelay, TimeSpan.Zero, TimeSpan.FromHours(1));

        if (options.StickySessions is null || options.Zones is null || options.Routes is null || options.Subsetting is null)
        {
            problems.Add($"Service '{service}': StickySessions, Zones, Routes and Subsetting must not be null.");
        }
        else
        {
            problems.AddRange(options.StickySessions.Validate(service));
            problems.AddRange(options.Zones.Validate(service));
            problems.AddRange(options.Subsetting.Validate(service, options.Zones.LocalZone, facts.HasPeerCoordinates));
            problems.AddRange(RoutingRules.Validate(service, options.Routes, options.StickySessions.IsEnabled));
        }

        // A service whose every request is forwarded by its routing rules needs no endpoints of its own.
        if (options.Endpoints.Count == 0 && !facts.HasEndpointSources && options.Routes is not { Count: > 0 } && !options.HasRejectedEndpoints)
        {
            problems.Add($"Service '{service}' has no endpoints: add them in code (Endpoints.Add), in configuration ({key}:Endpoints or Services:{service}), or add an endpoint source.");
        }
        else if (options.Endpoints.Count > 0)
        {
            problems.AddRange(EndpointValidation.ValidateSet(service, options.Endpoints));
        }

        return problems;
    }

    private static void ValidateHealth(List<string> problems, string service, string key, LoadBalancingOptions options)
    {
        if (options.HealthChecks is not { Active: { } active, Passive: { } passive, FailOpen: { } failOpen })
        {
            problems.Add($"Service '{service}': HealthChecks ({key}:HealthChecks) and its Active, Passive and FailOpen sections must not be null.");
            return;
        }

        if (string.IsNullOrEmpty(active.Path) || active.Path[0] != '/')
        {
            problems.Add($"Service '{service}': HealthChecks:Active:Path ({key}:HealthChecks:Active:Path) is '{active.Path}'; it must start with '/'.");
        }

        if (active.Port is { } port)
        {
            Range(problems, service, key, "HealthChecks:Active:Port", port, 1, 65535);
        }

        Range(problems, service, key, "HealthChecks:Active:Interval", active.Interval, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(300));
        Range(problems, service, key, "HealthChecks:Active:Timeout", active.Timeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(120));
        if (active.Timeout >= active.Interval)
        {
            problems.Add($"Service '{service}': HealthChecks:Active:Timeout ({key}:HealthChecks:Active:Timeout) is {active.Timeout}; it must be less than HealthChecks:Active:Interval ({key}:HealthChecks:Active:Interval, {active.Interval}).");
        }

        Range(problems, service, key, "HealthChecks:Active:HealthyThreshold", active.HealthyThreshold, 1, 10);
        Range(problems, service, key, "HealthChecks:Active:UnhealthyThreshold", active.UnhealthyThreshold, 1, 10);
        Range(problems, service, key, "HealthChecks:Active:Jitter", active.Jitter, 0, 0.5);
        if (!StatusCodeMatcher.TryParse(active.Matcher, out _, out var matcherProblem))
        {
            problems.Add($"Service '{service}': HealthChecks:Active:Matcher ({key}:HealthChecks:Active:Matcher) {matcherProblem}.");
        }

        Range(problems, service, key, "HealthChecks:Passive:ConsecutiveServerErrors", passive.ConsecutiveServerErrors, 0, 1000);
        Range(problems, service, key, "HealthChecks:Passive:ConsecutiveGatewayErrors", passive.ConsecutiveGatewayErrors, 0, 1000);
        Range(problems, service, key, "HealthChecks:Passive:ConsecutiveLocalFailures", passive.ConsecutiveLocalFailures, 0, 1000);
        Range(problems, service, key, "HealthChecks:Passive:Interval", passive.Interval, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(300));
        Range(problems, service, key, "HealthChecks:Passive:FailureRateThreshold", passive.FailureRateThreshold, 0, 1);
        Range(problems, service, key, "HealthChecks:Passive:FailureRateMinimumRequests", passive.FailureRateMinimumRequests, 1, int.MaxValue);
        Range(problems, service, key, "HealthChecks:Passive:BaseEjectionTime", passive.BaseEjectionTime, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Range(problems, service, key, "HealthChecks:Passive:MaxEjectionTime", passive.MaxEjectionTime, passive.BaseEjectionTime, TimeSpan.FromHours(1), " (at least BaseEjectionTime)");
        Range(problems, service, key, "HealthChecks:Passive:MaxEjectionPercent", passive.MaxEjectionPercent, 0, 100);
        Range(problems, service, key, "HealthChecks:FailOpen:MinimumHealthyCount", failOpen.MinimumHealthyCount, 0, 100_000);
        Range(problems, service, key, "HealthChecks:FailOpen:MinimumHealthyPercent", failOpen.MinimumHealthyPercent, 0, 100);
    }

    private static void ValidateRetries(List<string> problems, string service, string key, RetryOptions? retries)
    {
        if (retries is null)
        {
            problems.Add($"Service '{service}': Retries ({key}:Retries) must not be null.");
            return;
        }

        Range(problems, service, key, "Retries:MaxRetryAttempts", retries.MaxRetryAttempts, 1, 10);
        Range(problems, service, key, "Retries:BudgetPercent", retries.BudgetPercent, 0, 100);
        Range(problems, service, key, "Retries:MinRetriesPerSecond", retries.MinRetriesPerSecond, 0, 100_000);
        Range(problems, service, key, "Retries:Delay", retries.Delay, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        if (retries.AttemptTimeout is { } attemptTimeout)
        {
            Range(problems, service, key, "Retries:AttemptTimeout", attemptTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        }

        if (!string.IsNullOrWhiteSpace(retries.StatusCodes) && !StatusCodeMatcher.TryParse(retries.StatusCodes, out _, out var statusCodesProblem))
        {
            problems.Add($"Service '{service}': Retries:StatusCodes ({key}:Retries:StatusCodes) {statusCodesProblem}.");
        }
    }

    private static void Range<T>(List<string> problems, string service, string key, string setting, T value, T min, T max, string note = "")
        where T : IComparable<T>
    {
        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            problems.Add($"Service '{service}': {setting} ({key}:{setting}) is {value}; it must be between {min} and {max}{note}.");
        }
    }
}

/// <summary>What a service has besides its settings, which validation needs to know.</summary>
/// <param name="HasEndpointSources">Endpoint sources are registered, so the service may list no endpoints of its own.</param>
/// <param name="HasStrategyFactory">A strategy is built in code, so the strategy name is not used.</param>
/// <param name="HasPeerCoordinates">A peer coordinate source is given in code, so subsetting needs no index and count.</param>
internal readonly record struct ServiceFacts(bool HasEndpointSources, bool HasStrategyFactory, bool HasPeerCoordinates = false);
