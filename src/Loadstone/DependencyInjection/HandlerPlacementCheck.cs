using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Loadstone;

/// <summary>
/// Start-up validation of handler placement: when the host starts, builds the handler chain of every client that load
/// balancing was added to by name, so that a chain the <see cref="HandlerPlacement"/> cannot arrange fails the start with
/// its message instead of the first request.
/// </summary>
internal sealed class HandlerPlacementCheck
{
    internal sealed class Validator(IServiceProvider services) : IValidateOptions<HandlerPlacementCheck>
    {
        public ValidateOptionsResult Validate(string? name, HandlerPlacementCheck options)
        {
            var factory = services.GetService<IHttpMessageHandlerFactory>();
            if (factory is null)
            {
                return ValidateOptionsResult.Skip;
            }

            var problems = new List<string>();
            // A null name is the client defaults (ConfigureHttpClientDefaults): every client, built on first use.
            foreach (var client in services.GetServices<LoadBalancedClient>().Select(c => c.ClientName).OfType<string>().Distinct(StringComparer.Ordinal))
            {
                try
                {
                    // The factory keeps the chain for the client's handler lifetime: the client's first request uses it.
                    _ = factory.CreateHandler(client);
                }
                catch (HandlerPlacementException ex)
                {
                    problems.Add(ex.Message);
                }
            }

            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}

/// <summary>Marks a named client that load balancing was added to, so it is added once and checked at start-up.</summary>
internal sealed record LoadBalancedClient(string? ClientName);
