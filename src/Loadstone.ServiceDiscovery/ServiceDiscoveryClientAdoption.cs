using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace Loadstone.ServiceDiscovery;

/// <summary>
/// Gives every HttpClient that uses service discovery a <see cref="LoadBalancingHandler"/> where ServiceDiscovery's
/// handler is; Loadstone's handler placement then puts ServiceDiscovery's handler in front of it, bypassed for balanced
/// services. Runs inside the placement filter (registered after it), so placement sees the handler it adds.
/// </summary>
internal sealed class ServiceDiscoveryClientAdoption(IServiceProvider services, IOptions<ServiceDiscoveryLoadBalancingOptions> options)
    : IHttpMessageHandlerBuilderFilter
{
    private const string ServiceDiscoveryHandlerType = "Microsoft.Extensions.ServiceDiscovery.Http.ResolvingHttpDelegatingHandler";

    public Action<HttpMessageHandlerBuilder> Configure(Action<HttpMessageHandlerBuilder> next) => builder =>
    {
        next(builder);
        if (!options.Value.BalanceServiceDiscoveryClients || HasBalancer(builder))
        {
            return;
        }

        var handlers = builder.AdditionalHandlers;
        for (var i = 0; i < handlers.Count; i++)
        {
            if (handlers[i].GetType().FullName == ServiceDiscoveryHandlerType)
            {
                handlers.Insert(i + 1, new LoadBalancingHandler(services.GetRequiredService<ServicePoolRegistry>()));
                return;
            }
        }
    };

    private static bool HasBalancer(HttpMessageHandlerBuilder builder)
    {
        if (builder.AdditionalHandlers.Any(h => h is LoadBalancingHandler))
        {
            return true;
        }

        for (var handler = builder.PrimaryHandler; handler is not null; handler = (handler as DelegatingHandler)?.InnerHandler)
        {
            if (handler is LoadBalancingHandler)
            {
                return true;
            }
        }

        return false;
    }
}
