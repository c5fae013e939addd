using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Loadstone;

/// <summary>
/// Checks, in a container, that every pool a routing rule forwards to is a known service (registered in code or
/// configured), so a typo fails at start-up rather than on the first request that matches the rule.
/// </summary>
internal sealed class RouteTargetsValidator(IEnumerable<LoadBalancedServiceRegistration> registrations, IServiceProvider services)
    : IValidateOptions<LoadBalancingOptions>
{
    public ValidateOptionsResult Validate(string? name, LoadBalancingOptions options)
    {
        if (options.Routes is not { Count: > 0 } routes || string.IsNullOrEmpty(name))
        {
            return ValidateOptionsResult.Skip;
        }

        var configuration = (IConfiguration?)services.GetService(typeof(IConfiguration));
        var known = ServicePoolRegistry.KnownServiceNames(registrations.Select(r => r.ServiceName), configuration);
        known.Add(name);
        var problems = new List<string>();
        for (var r = 0; r < routes.Count; r++)
        {
            var rule = routes[r];
            var targets = rule.Forward.Pool is { } single ? [single] : rule.Forward.Pools.Select(p => p.Pool);
            foreach (var target in targets.Where(t => !string.IsNullOrWhiteSpace(t) && !known.Contains(t!)))
            {
                var label = rule.Name is null ? $"route {r}" : $"route '{rule.Name}'";
                problems.Add($"Service '{name}': {label} forwards to '{target}' (LoadBalancing:Services:{name}:Routes:{r}:Forward), which is not a configured service; known services: {string.Join(", ", known.Order(StringComparer.OrdinalIgnoreCase))}.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
