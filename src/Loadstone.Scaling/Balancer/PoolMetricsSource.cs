namespace Loadstone.Scaling;

/// <summary>
/// The default metrics source of a group: the pool attached with <see cref="ScalingGroup.AttachPool"/> (this client's
/// view), measured by a <see cref="PoolLoadMeter"/> on each reconcile pass; no pool means no figures, and nothing held.
/// Called under the group's lock.
/// </summary>
internal sealed class PoolMetricsSource(GroupContext context) : IScalingMetricsSource
{
    private PoolLoadMeter? _meter;

    public IReadOnlyDictionary<string, EndpointLoad> ReadLoad()
    {
        if (context.Pool is not { } attached)
        {
            return new Dictionary<string, EndpointLoad>();
        }

        if (_meter is null || !ReferenceEquals(_meter.Pool, attached.Pool))
        {
            _meter = new PoolLoadMeter(attached.Pool, context.Time);
        }

        return _meter.Measure().Endpoints;
    }

    public bool Holds(string endpointId, DateTimeOffset since) => context.Pool?.Holds(endpointId) ?? false;
}
