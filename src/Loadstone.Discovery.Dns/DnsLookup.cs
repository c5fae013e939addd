using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;

namespace Loadstone.Discovery.Dns;

/// <summary>What one lookup found: endpoints, an empty answer, or a failure.</summary>
internal enum DnsLookupKind
{
    Records,
    Empty,
    Failed,
}

/// <summary>The result of one lookup, with the TTL that bounds how long it may be trusted.</summary>
internal sealed record DnsLookupResult(
    DnsLookupKind Kind,
    IReadOnlyList<LoadBalancedEndpoint> Endpoints,
    TimeSpan? Ttl,
    string? Error,
    string? ErrorType,
    IReadOnlyList<string> Rejected)
{
    public static DnsLookupResult Failure(string error, string errorType) => new(DnsLookupKind.Failed, [], null, error, errorType, []);

    public static DnsLookupResult EmptyAnswer(TimeSpan? negativeTtl, string why) => new(DnsLookupKind.Empty, [], negativeTtl, why, "empty", []);
}

/// <summary>
/// Asks the name server for a service's records and turns them into endpoints: SRV (lowest-priority group, weights,
/// target host names) or A/AAAA of a host name, with search domains.
/// </summary>
internal sealed class DnsLookup(IDnsQuery client, DnsDiscoveryOptions options)
{
    private readonly string _scheme = options.Scheme.ToLowerInvariant();

    public Task<DnsLookupResult> RunAsync(CancellationToken cancellationToken) =>
        options.SrvName is { } srv ? LookupSrvAsync(srv.Trim(), cancellationToken) : LookupHostAsync(options.HostName!.Trim(), cancellationToken);

    /// <summary>The names to try, as a stub resolver with <c>ndots:1</c> does.</summary>
    internal static IEnumerable<string> Candidates(string name, IList<string> searchDomains)
    {
        if (name.EndsWith('.') || searchDomains.Count == 0)
        {
            yield return name;
            yield break;
        }

        var asWritten = name.Contains('.', StringComparison.Ordinal);
        if (asWritten)
        {
            yield return name;
        }

        foreach (var domain in searchDomains)
        {
            yield return string.Concat(name, ".", domain.Trim().Trim('.'));
        }

        if (!asWritten)
        {
            yield return name;
        }
    }

    private async Task<DnsLookupResult> LookupSrvAsync(string name, CancellationToken cancellationToken)
    {
        TimeSpan? negativeTtl = null;
        foreach (var candidate in Candidates(name, options.SearchDomains))
        {
            var answer = await QueryAsync(candidate, QueryType.SRV, cancellationToken).ConfigureAwait(false);
            if (answer.Failure is { } failure)
            {
                return failure;
            }

            var records = answer.Response!.Answers.SrvRecords().ToList();
            if (records.Count == 0)
            {
                negativeTtl = Min(negativeTtl, answer.NegativeTtl);
                continue;
            }

            // RFC 2782: a single record with target "." means the service is decidedly not available here.
            if (records.Count == 1 && records[0].Target.Value is "." or "")
            {
                return DnsLookupResult.EmptyAnswer(Seconds(records[0].TimeToLive), $"SRV {candidate}: target '.' (service not available)");
            }

            return await FromSrvRecordsAsync(answer.Response, records, cancellationToken).ConfigureAwait(false);
        }

        return DnsLookupResult.EmptyAnswer(negativeTtl, $"SRV {name}: no records");
    }

    private async Task<DnsLookupResult> FromSrvRecordsAsync(IDnsQueryResponse response, List<SrvRecord> records, CancellationToken cancellationToken)
    {
        var rejected = new List<string>();
        var ttl = Seconds(records.Min(r => r.TimeToLive));

        // RFC 2782: lower priority first. Only the lowest group that has any reachable address is served; see docs/discovery.md.
        foreach (var group in records.GroupBy(r => r.Priority).OrderBy(g => g.Key))
        {
            var ordered = group.OrderByDescending(r => r.Weight).ThenBy(r => r.Target.Value, StringComparer.OrdinalIgnoreCase).ThenBy(r => r.Port).ToList();
            var weights = SrvWeights.Map(ordered.Select(r => (int)r.Weight).ToArray());
            var lookups = ordered.Select(r => ResolveTargetAsync(response, r.Target.Value, cancellationToken)).ToArray();
            var targets = await Task.WhenAll(lookups).ConfigureAwait(false);
            if (targets.FirstOrDefault(t => t.Failure is not null) is { Failure: { } failed })
            {
                return failed;
            }

            var endpoints = new List<LoadBalancedEndpoint>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < ordered.Count; i++)
            {
                var record = ordered[i];
                var (addresses, addressTtl, _) = targets[i];
                var target = record.Target.Value.TrimEnd('.');
                if (addresses.Count == 0)
                {
                    rejected.Add($"SRV {record.DomainName.Value.TrimEnd('.')} target {target}:{record.Port} has no {FamilyText()} records");
                    continue;
                }

                // Port 0 is no address to connect to: every request to such an endpoint would fail.
                if (record.Port == 0)
                {
                    rejected.Add($"SRV {record.DomainName.Value.TrimEnd('.')} target {target} has port 0");
                    continue;
                }

                ttl = Min(ttl, addressTtl)!.Value;
                var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [DnsMetadata.SrvPriority] = record.Priority.ToString(CultureInfo.InvariantCulture),
                    [DnsMetadata.SrvWeight] = record.Weight.ToString(CultureInfo.InvariantCulture),
                };

                // A target with several addresses shares its record's weight among them.
                var share = Math.Max(1, weights[i] / addresses.Count);
                foreach (var address in addresses)
                {
                    var endpoint = Create(address, record.Port, share, target, metadata);
                    if (!seen.Add(endpoint.Id))
                    {
                        rejected.Add($"SRV target {target}:{record.Port} repeats {endpoint.Id}");
                        continue;
                    }

                    endpoints.Add(endpoint);
                }
            }

            if (endpoints.Count > 0)
            {
                return new DnsLookupResult(DnsLookupKind.Records, endpoints, ttl, null, null, rejected);
            }
        }

        return new DnsLookupResult(DnsLookupKind.Empty, [], ttl, "SRV: no target has an address", "empty", rejected);
    }

    private async Task<(List<IPAddress> Addresses, TimeSpan? Ttl, DnsLookupResult? Failure)> ResolveTargetAsync(
        IDnsQueryResponse response, string target, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(target.TrimEnd('.'), out var literal))
        {
            return ([literal], null, null);
        }

        // Name servers usually send the targets' address records along (RFC 2782's "additional data"); use them.
        var additional = response.Additionals.OfType<AddressRecord>()
            .Where(r => Wanted(r) && string.Equals(r.DomainName.Value, Fqdn(target), StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (additional.Count > 0)
        {
            return (Distinct(additional), Seconds(additional.Min(r => r.TimeToLive)), null);
        }

        var (records, failure, _) = await QueryAddressesAsync(Fqdn(target), cancellationToken).ConfigureAwait(false);
        return failure is not null ? ([], null, failure) : (Distinct(records), records.Count == 0 ? null : Seconds(records.Min(r => r.TimeToLive)), null);
    }

    private async Task<DnsLookupResult> LookupHostAsync(string name, CancellationToken cancellationToken)
    {
        TimeSpan? negativeTtl = null;
        foreach (var candidate in Candidates(name, options.SearchDomains))
        {
            var (records, failure, candidateNegativeTtl) = await QueryAddressesAsync(candidate, cancellationToken).ConfigureAwait(false);
            if (failure is not null)
            {
                return failure;
            }

            if (records.Count == 0)
            {
                negativeTtl = Min(negativeTtl, candidateNegativeTtl);
                continue;
            }

            var hostName = candidate.TrimEnd('.');
            var endpoints = Distinct(records)
                .OrderBy(a => a.AddressFamily).ThenBy(a => a.ToString(), StringComparer.Ordinal)
                .Select(a => Create(a, options.Port!.Value, LoadBalancedEndpoint.DefaultWeight, hostName, null))
                .ToList();
            return new DnsLookupResult(DnsLookupKind.Records, endpoints, Seconds(records.Min(r => r.TimeToLive)), null, null, []);
        }

        return DnsLookupResult.EmptyAnswer(negativeTtl, $"{FamilyText()} {name}: no records");
    }

    private async Task<(List<AddressRecord> Records, DnsLookupResult? Failure, TimeSpan? NegativeTtl)> QueryAddressesAsync(string name, CancellationToken cancellationToken)
    {
        var types = options.AddressFamily switch
        {
            DnsAddressFamily.IPv4 => [QueryType.A],
            DnsAddressFamily.IPv6 => [QueryType.AAAA],
            _ => new[] { QueryType.A, QueryType.AAAA },
        };
        var answers = await Task.WhenAll(types.Select(t => QueryAsync(name, t, cancellationToken))).ConfigureAwait(false);
        if (answers.FirstOrDefault(a => a.Failure is not null) is { Failure: { } failure })
        {
            return ([], failure, null);
        }

        var records = answers.SelectMany(a => a.Response!.Answers.OfType<AddressRecord>()).Where(Wanted).ToList();
        return (records, null, answers.Select(a => a.NegativeTtl).Aggregate((TimeSpan?)null, Min));
    }

    private async Task<Answer> QueryAsync(string name, QueryType type, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            if (!response.HasError)
            {
                return new Answer(response, null, NegativeTtl(response));
            }

            var code = response.Header.ResponseCode;
            return code == DnsHeaderResponseCode.NotExistentDomain
                ? new Answer(response, null, NegativeTtl(response))
                : new Answer(null, DnsLookupResult.Failure($"{type} {name}: {code}", ErrorType(code)), null);
        }
        catch (DnsResponseException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var timedOut = ex.Code == DnsResponseCode.ConnectionTimeout;
            return new Answer(null, DnsLookupResult.Failure($"{type} {name}: {(timedOut ? "timed out" : ex.Message)}", timedOut ? "timeout" : "unreachable"), null);
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            return new Answer(null, DnsLookupResult.Failure($"{type} {name}: {ex.Message}", "unreachable"), null);
        }
    }

    private static string ErrorType(DnsHeaderResponseCode code) => code switch
    {
        DnsHeaderResponseCode.ServerFailure => "servfail",
        DnsHeaderResponseCode.Refused => "refused",
        _ => "other",
    };

    /// <summary>RFC 2308: a negative answer may be cached for the smaller of the SOA record's TTL and its MINIMUM field.</summary>
    private static TimeSpan? NegativeTtl(IDnsQueryResponse response) =>
        response.Authorities.SoaRecords().FirstOrDefault() is { } soa ? Seconds((int)Math.Min(soa.TimeToLive, soa.Minimum)) : null;

    private LoadBalancedEndpoint Create(IPAddress address, int port, int weight, string hostName, Dictionary<string, string>? metadata)
    {
        var host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        var uri = new Uri(string.Create(CultureInfo.InvariantCulture, $"{_scheme}://{host}:{port}/"));
        try
        {
            return new LoadBalancedEndpoint(uri, options.Zone, weight, metadata) { HostName = hostName };
        }
        catch (ArgumentException)
        {
            // A target name that is no valid host name (some registries use underscores) cannot be a Host header.
            return new LoadBalancedEndpoint(uri, options.Zone, weight, metadata);
        }
    }

    // A link-local IPv6 address needs an interface (a scope) that a DNS record cannot carry: unusable as an endpoint.
    private bool Wanted(AddressRecord record) => !record.Address.IsIPv6LinkLocal && options.AddressFamily switch
    {
        DnsAddressFamily.IPv4 => record.Address.AddressFamily == AddressFamily.InterNetwork,
        DnsAddressFamily.IPv6 => record.Address.AddressFamily == AddressFamily.InterNetworkV6,
        _ => true,
    };

    private string FamilyText() => options.AddressFamily switch
    {
        DnsAddressFamily.IPv4 => "A",
        DnsAddressFamily.IPv6 => "AAAA",
        _ => "A/AAAA",
    };

    private static List<IPAddress> Distinct(IEnumerable<AddressRecord> records) => records.Select(r => r.Address).Distinct().ToList();

    private static string Fqdn(string name) => name.EndsWith('.') ? name : name + ".";

    private static TimeSpan Seconds(int ttl) => TimeSpan.FromSeconds(Math.Max(0, ttl));

    private static TimeSpan? Min(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a < b ? a : b;

    private readonly record struct Answer(IDnsQueryResponse? Response, DnsLookupResult? Failure, TimeSpan? NegativeTtl);
}
