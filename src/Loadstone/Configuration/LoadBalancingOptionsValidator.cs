using Microsoft.Extensions.Options;

namespace Loadstone;

/// <summary>
/// Checks a service's options and reports every problem at once, each naming the service and the setting
/// (with its configuration key) so the fix is obvious from the message.
/// </summary>
internal sealed class LoadBalancingOptionsValidator(StrategyCatalog strategies) : IValidateOptions<LoadBalancingOptions>
{
    internal static readonly TimeSpan MinLatencyDecayTime = TimeSpan.FromMilliseconds(100);
    internal static readonly TimeSpan MaxLatencyDecayTime = TimeSpan.FromMinutes(10);
    internal static readonly TimeSpan MaxInitialLatency = TimeSpan.FromMinutes(1);

    public ValidateOptionsResult Validate(string? name, LoadBalancingOptions options)
    {
        var problems = Problems(name ?? Options.DefaultName, options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public List<string> Problems(string service, LoadBalancingOptions options)
    {
        var problems = new List<string>(options.ConfigurationProblems);
        var key = $"LoadBalancing:Services:{service}";

        if (options.StrategyFactory is null)
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

        if (options.Endpoints.Count == 0 && options.EndpointSources.Count == 0)
        {
            problems.Add($"Service '{service}' has no endpoints: add them in code (Endpoints.Add), in configuration ({key}:Endpoints or Services:{service}), or add an endpoint source.");
        }
        else if (options.Endpoints.Count > 0)
        {
            problems.AddRange(EndpointValidation.ValidateSet(service, options.Endpoints));
        }

        return problems;
    }
}
