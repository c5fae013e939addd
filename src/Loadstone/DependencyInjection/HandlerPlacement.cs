using Microsoft.Extensions.Http;

namespace Loadstone;

/// <summary>
/// Puts a client's <see cref="LoadBalancingHandler"/> where it must be relative to the handlers of
/// Microsoft.Extensions.Http.Resilience and Microsoft.Extensions.ServiceDiscovery, whatever the order of registration:
/// <code>
///   [RequestEntryHandler] → resilience handler(s) → [ServiceDiscovery, bypassed for balanced services] → LoadBalancingHandler → … → primary
/// </code>
/// Resilience handlers (retry, hedging, timeouts, circuit breaker) go outside the balancer, so each of their attempts is
/// a new pick; ServiceDiscovery's handler stays in front of it only for hosts Loadstone does not balance; the primary
/// <see cref="SocketsHttpHandler"/> is marked so that Grpc.Net.Client does not balance on its own. What cannot be
/// moved (handlers inside a primary handler chain) fails with a message that says what to change.
/// </summary>
/// <remarks>
/// An <see cref="IHttpMessageHandlerBuilderFilter"/> runs around every other configuration of the client's handlers, so
/// it sees the final list, however the client and the client defaults were registered. Handlers of the other libraries
/// are recognised by type name: the core references neither.
/// </remarks>
internal sealed class HandlerPlacement : IHttpMessageHandlerBuilderFilter
{
    internal const string ResilienceHandlerType = "Microsoft.Extensions.Http.Resilience.ResilienceHandler";
    internal const string ServiceDiscoveryHandlerType = "Microsoft.Extensions.ServiceDiscovery.Http.ResolvingHttpDelegatingHandler";

    /// <summary>The SocketsHttpHandler property Grpc.Net.Client reads to leave balancing to the handlers above it.</summary>
    internal const string GrpcLoadBalancingDisabled = "__GrpcLoadBalancingDisabled";

    public Action<HttpMessageHandlerBuilder> Configure(Action<HttpMessageHandlerBuilder> next) => builder =>
    {
        next(builder);
        Place(builder.Name, builder.AdditionalHandlers, builder.PrimaryHandler);
    };

    /// <summary>Reorders <paramref name="handlers"/> (outermost first) around the client's balancer, if it has one.</summary>
    /// <exception cref="HandlerPlacementException">The balancer cannot be placed; the message says what to change.</exception>
    internal static void Place(string? clientName, IList<DelegatingHandler> handlers, HttpMessageHandler? primary)
    {
        var balancer = FindBalancer(clientName, handlers, primary, out var at);
        if (balancer is null)
        {
            return;
        }

        // Resilience handlers registered after the balancer (inside it) move in front of it, in their order.
        for (var i = at + 1; i < handlers.Count; i++)
        {
            if (Is(handlers[i], ResilienceHandlerType))
            {
                var resilience = handlers[i];
                handlers.RemoveAt(i);
                handlers.Insert(at++, resilience);
            }
        }

        // ServiceDiscovery's handler, wherever it was, stands just in front of the balancer and skips balanced services.
        for (var i = 0; i < handlers.Count; i++)
        {
            if (Is(handlers[i], ServiceDiscoveryHandlerType))
            {
                var serviceDiscovery = handlers[i];
                handlers.RemoveAt(i);
                if (i < at)
                {
                    at--;
                }

                handlers.Insert(at++, new ServiceDiscoveryBypassHandler(serviceDiscovery, balancer));
                i = at - 1;
            }
        }

        // A resilience handler outside owns retries: the balancer makes one attempt per entry, and learns the caller's token.
        for (var i = 0; i < at; i++)
        {
            if (Is(handlers[i], ResilienceHandlerType))
            {
                balancer.OuterAttempts = true;
                handlers.Insert(0, new RequestEntryHandler());
                break;
            }
        }

        DisableGrpcBalancing(primary);
    }

    /// <summary>
    /// Marks the <see cref="SocketsHttpHandler"/> at the bottom of <paramref name="handler"/> so that Grpc.Net.Client does
    /// not turn on its own subchannel balancing (which would connect to the logical name, <c>catalog:80</c>).
    /// </summary>
    internal static void DisableGrpcBalancing(HttpMessageHandler? handler)
    {
        if (Bottom(handler) is SocketsHttpHandler sockets)
        {
            sockets.Properties[GrpcLoadBalancingDisabled] = true;
        }
    }

    /// <summary>Whether the type of <paramref name="handler"/>, or a base type, has the full name <paramref name="typeName"/>.</summary>
    internal static bool Is(HttpMessageHandler handler, string typeName)
    {
        for (var type = handler.GetType(); type is not null && type != typeof(DelegatingHandler); type = type.BaseType)
        {
            if (type.FullName == typeName)
            {
                return true;
            }
        }

        return false;
    }

    // The client's one balancer: in the list (duplicates of the same registry dropped), or in the primary handler's chain.
    private static LoadBalancingHandler? FindBalancer(string? clientName, IList<DelegatingHandler> handlers, HttpMessageHandler? primary, out int at)
    {
        LoadBalancingHandler? balancer = null;
        at = handlers.Count;
        for (var i = 0; i < handlers.Count; i++)
        {
            if (handlers[i] is not LoadBalancingHandler found)
            {
                continue;
            }

            if (balancer is null)
            {
                (balancer, at) = (found, i);
            }
            else if (ReferenceEquals(found.Registry, balancer.Registry))
            {
                // AddLoadBalancing on the client and on the client defaults: one handler does the work of both.
                handlers.RemoveAt(i--);
            }
            else
            {
                throw new HandlerPlacementException(
                    $"HttpClient '{clientName}' has two LoadBalancingHandlers with different pools. Keep one: register load balancing once per client (AddLoadBalancing), or build the handler chain yourself without the client's handlers.");
            }
        }

        var nested = InChain(primary);
        if (nested is null)
        {
            return balancer;
        }

        if (balancer is not null)
        {
            throw new HandlerPlacementException(
                $"HttpClient '{clientName}' has a LoadBalancingHandler in its primary handler and another one added with AddLoadBalancing. Keep one of them.");
        }

        // The balancer is (inside) the primary handler: everything in the list is outside it already; what is below it in
        // the primary chain cannot be moved.
        for (HttpMessageHandler? h = nested.InnerHandler; h is not null; h = (h as DelegatingHandler)?.InnerHandler)
        {
            if (Is(h, ResilienceHandlerType) || Is(h, ServiceDiscoveryHandlerType))
            {
                throw new HandlerPlacementException(
                    $"HttpClient '{clientName}': its primary handler chain has {h.GetType().Name} inside the LoadBalancingHandler, where it would act on one endpoint instead of the logical service (retries on the same endpoint, or addresses resolved behind the balancer's back). Register it on the client instead (AddStandardResilienceHandler(), AddServiceDiscovery()), so that it can be placed in front of the balancer.");
            }
        }

        return nested;
    }

    private static LoadBalancingHandler? InChain(HttpMessageHandler? handler)
    {
        for (; handler is not null; handler = (handler as DelegatingHandler)?.InnerHandler)
        {
            if (handler is LoadBalancingHandler balancer)
            {
                return balancer;
            }
        }

        return null;
    }

    private static HttpMessageHandler? Bottom(HttpMessageHandler? handler)
    {
        while (handler is DelegatingHandler { InnerHandler: { } inner })
        {
            handler = inner;
        }

        return handler;
    }
}

/// <summary>A client's handlers cannot be arranged around its <see cref="LoadBalancingHandler"/>; the message says what to change.</summary>
internal sealed class HandlerPlacementException(string message) : InvalidOperationException(message);
