using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.ServiceDiscovery;

namespace Loadstone.ServiceDiscovery;

/// <summary>
/// One service's endpoints as Microsoft.Extensions.ServiceDiscovery's resolver answers them, with every provider the
/// application registered (configuration, pass-through, DNS, third-party ones).
/// </summary>
/// <remarks>
/// <para>
/// The resolver answers one query at a time (<c>http://catalog</c>, <c>https://_dashboard.catalog</c>); a pool holds all
/// of a service's endpoints and each request picks among those its URI asks for. So the source resolves the queries
/// whose answers make up the pool: <c>http://{service}</c> and <c>https://{service}</c> for the unnamed endpoints, and
/// <c>http://_{name}.{service}</c> and <c>https://_{name}.{service}</c> for each named endpoint (the children of
/// <c>Services:{service}</c> and <see cref="ServiceDiscoveryLoadBalancingOptions.EndpointNames"/>). An endpoint keeps the
/// scheme it was written with, or takes the query's (<c>host:port</c> entries, DNS answers); with
/// <see cref="LoadBalancingOptions.MatchRequestScheme"/> (on by default with the bridge), a request then reaches exactly
/// the endpoints ServiceDiscovery would resolve for it.
/// </para>
/// <para>
/// The pass-through provider's answer (the service's own name, left to DNS) is kept only when no query of the service
/// resolves anything else. The source fires its change token when any answer's token fires (a configuration reload, a
/// provider's push) or, for answers without change notification, after ServiceDiscovery's <c>RefreshPeriod</c>.
/// </para>
/// </remarks>
internal sealed partial class ServiceDiscoveryEndpointSource : IEndpointSource, IDisposable
{
    private readonly string _serviceName;
    private readonly ServiceEndpointResolver _resolver;
    private readonly ServiceDiscoveryLoadBalancingOptions _options;
    private readonly TimeSpan _refreshPeriod;
    private readonly IConfiguration? _configuration;
    private readonly string _sectionName;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<IDisposable> _watches = [];
    private CancellationTokenSource _signal = new();
    private string? _lastSkipped;
    private bool _disposed;

    public ServiceDiscoveryEndpointSource(string serviceName, ServiceEndpointResolver resolver, ServiceDiscoveryLoadBalancingOptions options,
        ServiceDiscoveryOptions serviceDiscoveryOptions, IConfiguration? configuration, string sectionName, TimeProvider timeProvider, ILogger logger)
    {
        _serviceName = serviceName;
        _resolver = resolver;
        _options = options;
        _refreshPeriod = serviceDiscoveryOptions.RefreshPeriod;
        _configuration = configuration;
        _sectionName = sectionName;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public string Name => $"servicediscovery:{_serviceName}";

    public IChangeToken? GetChangeToken()
    {
        lock (_gate)
        {
            return new CancellationChangeToken(_signal.Token);
        }
    }

    public async ValueTask<IReadOnlyList<LoadBalancedEndpoint>> GetEndpointsAsync(CancellationToken cancellationToken)
    {
        var queries = Queries();
        var answers = new ServiceEndpointSource?[queries.Count];
        try
        {
            for (var i = 0; i < queries.Count; i++)
            {
                answers[i] = await _resolver.GetEndpointsAsync(queries[i].Text, cancellationToken).ConfigureAwait(false);
            }

            return Convert(queries, answers!);
        }
        finally
        {
            // Whatever happened, watch what was answered (and the configuration, for new named endpoints), so a fix is seen.
            Watch(answers);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var watch in _watches)
            {
                watch.Dispose();
            }

            _watches.Clear();
        }
    }

    /// <summary>The queries whose answers make up the pool: unnamed first, then each named endpoint, http then https.</summary>
    private List<Query> Queries()
    {
        var names = new List<string>();
        if (_configuration is not null)
        {
            foreach (var child in _configuration.GetSection(_sectionName).GetSection(_serviceName).GetChildren())
            {
                if (!IsUnnamed(child.Key) && !names.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                {
                    names.Add(child.Key);
                }
            }
        }

        foreach (var name in _options.EndpointNames)
        {
            if (!string.IsNullOrWhiteSpace(name) && !IsUnnamed(name) && !names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                names.Add(name);
            }
        }

        var queries = new List<Query>(2 + (2 * names.Count))
        {
            new(Uri.UriSchemeHttp, null, $"http://{_serviceName}"),
            new(Uri.UriSchemeHttps, null, $"https://{_serviceName}"),
        };
        foreach (var name in names)
        {
            queries.Add(new(Uri.UriSchemeHttp, name, $"http://_{name}.{_serviceName}"));
            queries.Add(new(Uri.UriSchemeHttps, name, $"https://_{name}.{_serviceName}"));
        }

        return queries;
    }

    private List<LoadBalancedEndpoint> Convert(List<Query> queries, ServiceEndpointSource[] answers)
    {
        var endpoints = new List<LoadBalancedEndpoint>();
        var passThrough = new List<LoadBalancedEndpoint>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        List<string>? skipped = null;
        for (var i = 0; i < queries.Count; i++)
        {
            foreach (var answer in answers[i].Endpoints)
            {
                var isPassThrough = IsPassThrough(answer);
                if (!TryCreate(queries[i], answer, out var endpoint, out var problem))
                {
                    (skipped ??= []).Add($"{queries[i].Text}: {problem}");
                    continue;
                }

                // An address answered for two queries is one endpoint: the first (unnamed before named) keeps it.
                if (ids.Add(endpoint.Id))
                {
                    (isPassThrough ? passThrough : endpoints).Add(endpoint);
                }
            }
        }

        var summary = skipped is null ? null : string.Join(" ", skipped);
        if (summary is not null && summary != _lastSkipped)
        {
            Log.EndpointsSkipped(_logger, _serviceName, summary);
        }

        _lastSkipped = summary;
        return endpoints.Count > 0 ? endpoints : passThrough;
    }

    private bool TryCreate(Query query, ServiceEndpoint answer, out LoadBalancedEndpoint endpoint, out string problem)
    {
        endpoint = null!;
        problem = string.Empty;
        string address;
        switch (answer.EndPoint)
        {
            case UriEndPoint { Uri: { } uri }:
                address = uri.ToString();
                break;
            case DnsEndPoint dns:
                address = Authority(query.Scheme, dns.Host, dns.Port);
                break;
            case IPEndPoint ip:
                address = Authority(query.Scheme, ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip.Address}]" : ip.Address.ToString(), ip.Port);
                break;
            default:
                problem = $"endpoints of type {answer.EndPoint.GetType().Name} ({answer.EndPoint}) cannot be balanced; only URIs, host names and IP addresses can.";
                return false;
        }

        var feature = answer.Features.Get<LoadBalancedEndpointFeature>();
        try
        {
            // ServiceDiscovery's handler sends an IHostNameFeature's name as the Host header; so does the endpoint's HostName.
            var hostName = answer.Features.Get<IHostNameFeature>()?.HostName;
            endpoint = new LoadBalancedEndpoint(address, feature?.Zone, feature?.Weight ?? LoadBalancedEndpoint.DefaultWeight, feature?.Metadata, query.EndpointName)
            {
                HostName = Uri.CheckHostName(hostName) == UriHostNameType.Dns ? hostName : null,
            };
            return true;
        }
        catch (ArgumentException ex)
        {
            problem = ex.Message;
            return false;
        }
    }

    private bool IsPassThrough(ServiceEndpoint answer) =>
        answer.EndPoint is DnsEndPoint dns && string.Equals(dns.Host, _serviceName, StringComparison.OrdinalIgnoreCase);

    private static string Authority(string scheme, string host, int port) =>
        port > 0 ? $"{scheme}://{host}:{port}" : $"{scheme}://{host}";

    private static bool IsUnnamed(string name) =>
        name.Equals("default", StringComparison.OrdinalIgnoreCase)
        || name.Equals(Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase)
        || name.Equals(Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase);

    private void Watch(ServiceEndpointSource?[] answers)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            foreach (var watch in _watches)
            {
                watch.Dispose();
            }

            _watches.Clear();
            var poll = answers.Any(a => a is null);
            foreach (var answer in answers)
            {
                if (answer?.ChangeToken is { ActiveChangeCallbacks: true } token)
                {
                    _watches.Add(token.RegisterChangeCallback(static s => ((ServiceDiscoveryEndpointSource)s!).Fire(), this));
                }
                else if (answer is not null)
                {
                    poll = true;
                }
            }

            if (_configuration?.GetReloadToken() is { ActiveChangeCallbacks: true } reload)
            {
                _watches.Add(reload.RegisterChangeCallback(static s => ((ServiceDiscoveryEndpointSource)s!).Fire(), this));
            }

            if (poll)
            {
                // Answers that cannot notify (polling providers, a failed resolution) are asked again after RefreshPeriod.
                _watches.Add(_timeProvider.CreateTimer(static s => ((ServiceDiscoveryEndpointSource)s!).Fire(), this, _refreshPeriod, Timeout.InfiniteTimeSpan));
            }
        }
    }

    private void Fire()
    {
        CancellationTokenSource fired;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            fired = _signal;
            _signal = new CancellationTokenSource();
        }

        fired.Cancel();
        fired.Dispose();
    }

    private readonly record struct Query(string Scheme, string? EndpointName, string Text);

    private static partial class Log
    {
        [LoggerMessage(1400, LogLevel.Warning, "Service '{Service}': ServiceDiscovery answers skipped: {Problems}", EventName = "ServiceDiscoveryEndpointsSkipped")]
        public static partial void EndpointsSkipped(ILogger logger, string service, string problems);
    }
}
