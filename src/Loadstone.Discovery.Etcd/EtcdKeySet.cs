using Mvccpb;

namespace Loadstone.Discovery.Etcd;

/// <summary>
/// The keys of a watched prefix and the endpoint each describes, in key order. A value that is not a valid endpoint
/// document is rejected and logged for its key: the key keeps its last good value if it had one, else it is left out.
/// Two keys with the same address: the first in key order wins, the other is logged once. Used by the source's loop only.
/// </summary>
internal sealed class EtcdKeySet(EtcdEndpointSource source)
{
    private const string KeptLastGood = "the key keeps its last good value";
    private const string LeftOut = "the key is left out";

    private SortedDictionary<string, LoadBalancedEndpoint> _endpoints = new(StringComparer.Ordinal);
    private readonly HashSet<string> _duplicatesLogged = new(StringComparer.Ordinal);

    public int Count => _endpoints.Count;

    /// <summary>Replaces every key with a fresh read; returns how many endpoints and rejected values it holds.</summary>
    public (int Count, int Rejected) Load(IEnumerable<KeyValue> kvs)
    {
        var previous = _endpoints;
        var next = new SortedDictionary<string, LoadBalancedEndpoint>(StringComparer.Ordinal);
        var rejected = 0;
        foreach (var kv in kvs)
        {
            var key = kv.Key.ToStringUtf8();
            var endpoint = Parse(key, kv.Value, previous, out var wasRejected);
            if (endpoint is not null)
            {
                next[key] = endpoint;
            }

            rejected += wasRejected ? 1 : 0;
        }

        _endpoints = next;
        _duplicatesLogged.Clear();
        return (next.Count, rejected);
    }

    /// <summary>Applies a watch response's events, in order; returns whether any endpoint changed.</summary>
    public bool Apply(IEnumerable<Event> events)
    {
        var changed = false;
        foreach (var change in events)
        {
            var key = change.Kv.Key.ToStringUtf8();
            _duplicatesLogged.Remove(key);
            if (change.Type == Event.Types.EventType.Delete)
            {
                changed |= _endpoints.Remove(key);
            }
            else if (Parse(key, change.Kv.Value, _endpoints, out _) is { } endpoint)
            {
                // A put of the same document (a re-registration under a new lease) changes nothing the pool sees.
                changed |= !_endpoints.TryGetValue(key, out var before) || !EndpointSets.Same(before, endpoint);
                _endpoints[key] = endpoint;
            }
        }

        return changed;
    }

    /// <summary>The endpoints in key order, without repeated addresses.</summary>
    public IReadOnlyList<LoadBalancedEndpoint> Snapshot()
    {
        var list = new List<LoadBalancedEndpoint>(_endpoints.Count);
        var owners = new Dictionary<string, string>(_endpoints.Count, StringComparer.Ordinal);
        foreach (var (key, endpoint) in _endpoints)
        {
            if (owners.TryAdd(endpoint.Id, key))
            {
                list.Add(endpoint);
            }
            else if (_duplicatesLogged.Add(key))
            {
                Reject(key, $"its address {endpoint.Id} is already registered by key '{owners[endpoint.Id]}'", LeftOut);
            }
        }

        return list;
    }

    private LoadBalancedEndpoint? Parse(string key, Google.Protobuf.ByteString value, SortedDictionary<string, LoadBalancedEndpoint> previous, out bool rejected)
    {
        rejected = false;
        if (EtcdEndpointDocument.TryParse(value.Span, out var problem) is { } endpoint)
        {
            return endpoint;
        }

        rejected = true;
        var kept = previous.TryGetValue(key, out var last) ? last : null;
        Reject(key, problem!, kept is null ? LeftOut : KeptLastGood);
        return kept;
    }

    private void Reject(string key, string problem, string outcome)
    {
        EtcdDiscoveryMetrics.Rejections.Add(1, EtcdDiscoveryMetrics.Tags(source));
        EtcdEndpointSource.Log.ValueRejected(source.Logger, source.Name, source.ServiceName, key, problem, outcome);
    }
}
