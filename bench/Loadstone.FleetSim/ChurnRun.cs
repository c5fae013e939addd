using System.Globalization;
using System.Text;

namespace Loadstone.FleetSim;

/// <summary>
/// Connections moved when the fleet changes, for each way of subsetting: the connections opened after the change
/// that did not exist before (a new connection is the cost: a handshake, a cold pool), against the fewest any scheme
/// must open (the replacements of the removed endpoints' connections, the new endpoints' fair share, the new clients'
/// subsets). Clients are stable ordinals: a client count change adds or removes the highest ones.
/// </summary>
internal static class ChurnRun
{
    public static int Run(SimOptions o, TextWriter log)
    {
        var n = o.Endpoints;
        var k = Math.Max(1, n / 100);
        var kc = Math.Max(1, o.Clients / 100);
        var baseMembers = Subsets.Endpoints(n);
        var added = Subsets.Endpoints(k, generation: 200);
        var rng = new Random(o.Seed);
        var removed = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(k).ToHashSet();
        var kept = baseMembers.Where((_, i) => !removed.Contains(i)).ToArray();
        var changes = new (string Name, LoadBalancedEndpoint[] Members, int Clients)[]
        {
            ("endpoints -1%", kept, o.Clients),
            ("endpoints +1%", [.. baseMembers, .. added], o.Clients),
            ("endpoints replaced 1%", [.. kept, .. added], o.Clients),
            ("clients +1%", baseMembers, o.Clients + kc),
            ("clients -1%", baseMembers, o.Clients - kc),
            ("endpoints replaced 1% and clients +1%", [.. kept, .. added], o.Clients + kc),
            ("one endpoint removed", baseMembers.Where((_, i) => i != n / 2).ToArray(), o.Clients),
            ("one client added", baseMembers, o.Clients + 1),
        };

        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {o.Clients} clients × {n} endpoints, subsets of {o.SubsetSize}, seed {o.Seed}"));
        var csv = new StringBuilder("kind,change,opened,opened_share,ideal,ideal_share,times_ideal,min_clients_per_endpoint,max_clients_per_endpoint\n");
        var rows = new List<object>();
        foreach (var kind in new[] { SubsetKind.Deterministic, SubsetKind.RankGrid, SubsetKind.Random, SubsetKind.Consistent })
        {
            var before = Pairs(baseMembers, Subsets.Build(kind, baseMembers, o.Clients, o.SubsetSize, o.Seed));
            log.WriteLine($"  {kind}:");
            foreach (var (name, members, clients) in changes)
            {
                var subsets = Subsets.Build(kind, members, clients, o.SubsetSize, o.Seed);
                var after = Pairs(members, subsets);
                var opened = after.Count(p => !before.Contains(p));
                var ideal = Ideal(before, after, baseMembers, members, o.Clients, clients, o.SubsetSize);
                var counts = Subsets.ClientsPerEndpoint(subsets, members.Length);
                var ratio = ideal == 0 ? double.NaN : (double)opened / ideal;
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {name,-40} opened {opened,7} ({(double)opened / before.Count,7:P2} of connections); fewest possible {ideal,6} ({(double)ideal / before.Count,6:P2}): {(ideal == 0 ? "—" : ratio.ToString("0.0", CultureInfo.InvariantCulture) + " ×")}; clients per endpoint {counts.Min()}–{counts.Max()}"));
                csv.Append(CultureInfo.InvariantCulture, $"{kind},{name},{opened},{(double)opened / before.Count:0.######},{ideal},{(double)ideal / before.Count:0.######},{(ideal == 0 ? "" : ratio.ToString("0.###", CultureInfo.InvariantCulture))},{counts.Min()},{counts.Max()}\n");
                rows.Add(new { kind = kind.ToString(), change = name, opened, opened_share = (double)opened / before.Count, ideal, ideal_share = (double)ideal / before.Count, times_ideal = ideal == 0 ? (double?)null : ratio, min_clients_per_endpoint = counts.Min(), max_clients_per_endpoint = counts.Max() });
            }
        }

        Output.Write(o.OutputDirectory, "churn", csv.ToString(), new
        {
            scenario = "churn", machine = Output.Machine(), clients = o.Clients, endpoints = n, subset = o.SubsetSize, seed = o.Seed,
            metric = "connections opened after the change that did not exist before; ideal = the fewest any scheme must open",
            changes = rows,
        }, log);
        return 0;
    }

    private static HashSet<(int Client, string Endpoint)> Pairs(IReadOnlyList<LoadBalancedEndpoint> members, int[][] subsets)
    {
        var pairs = new HashSet<(int, string)>();
        for (var c = 0; c < subsets.Length; c++)
        {
            foreach (var e in subsets[c])
            {
                pairs.Add((c, members[e].Id));
            }
        }

        return pairs;
    }

    /// <summary>
    /// The fewest connections any scheme must open: one per connection lost to a removed endpoint (surviving clients
    /// keep their subset size), the new endpoints' share of all connections, and the new clients' subsets.
    /// </summary>
    private static int Ideal(HashSet<(int Client, string Endpoint)> before, HashSet<(int Client, string Endpoint)> after,
        LoadBalancedEndpoint[] oldMembers, LoadBalancedEndpoint[] newMembers, int oldClients, int newClients, int size)
    {
        var oldIds = oldMembers.Select(m => m.Id).ToHashSet();
        var newIds = newMembers.Select(m => m.Id).ToHashSet();
        var survivors = Math.Min(oldClients, newClients);
        var lost = before.Count(p => p.Client < survivors && !newIds.Contains(p.Endpoint));
        var addedShare = (double)newMembers.Count(m => !oldIds.Contains(m.Id)) / newMembers.Length;
        var newClientConnections = Math.Max(0, newClients - oldClients) * Math.Min(size, newMembers.Length);
        var totalAfter = after.Count;

        // The replacements and the new clients' connections may go to the new endpoints; beyond them, filling the new
        // endpoints to their share means moving connections.
        var toNewEndpoints = (int)Math.Round(addedShare * totalAfter);
        return Math.Max(lost + newClientConnections, toNewEndpoints);
    }
}
