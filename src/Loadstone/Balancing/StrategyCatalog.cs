namespace Loadstone;

/// <summary>A strategy registered by name with <c>AddLoadBalancingStrategy</c>.</summary>
internal sealed record StrategyRegistration(string Name, Func<StrategyContext, ILoadBalancingStrategy> Factory);

/// <summary>Finds strategies by name: the built-ins plus those registered in the container.</summary>
internal sealed class StrategyCatalog
{
    private readonly Dictionary<string, Func<StrategyContext, ILoadBalancingStrategy>> _custom;

    public StrategyCatalog(IEnumerable<StrategyRegistration> registrations)
    {
        _custom = new(StringComparer.OrdinalIgnoreCase);
        foreach (var registration in registrations)
        {
            _custom[registration.Name] = registration.Factory;
        }
    }

    public static StrategyCatalog BuiltInOnly { get; } = new([]);

    public bool IsKnown(string name) =>
        _custom.ContainsKey(name) || LoadBalancingStrategies.BuiltIn.Contains(name, StringComparer.OrdinalIgnoreCase);

    public IEnumerable<string> Names => LoadBalancingStrategies.BuiltIn.Concat(_custom.Keys);

    /// <summary>Creates a pool's strategy: from <paramref name="factory"/> when given, else by the options' strategy name.</summary>
    public ILoadBalancingStrategy Create(LoadBalancingOptions options, StrategyContext context, Func<StrategyContext, ILoadBalancingStrategy>? factory = null)
    {
        if (factory is not null)
        {
            return factory(context) ?? throw new InvalidOperationException(
                $"The strategy factory of service '{context.ServiceName}' returned null.");
        }

        if (_custom.TryGetValue(options.Strategy, out var custom))
        {
            return custom(context) ?? throw new InvalidOperationException(
                $"The factory registered for strategy '{options.Strategy}' returned null for service '{context.ServiceName}'.");
        }

        return LoadBalancingStrategies.TryCreateBuiltIn(options.Strategy, context)
            ?? throw new InvalidOperationException($"Strategy '{options.Strategy}' of service '{context.ServiceName}' is not known.");
    }
}
