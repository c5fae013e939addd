using System.Globalization;

namespace Loadstone.FleetSim;

/// <summary>How the simulated clients choose their subsets.</summary>
internal enum SubsetKind
{
    /// <summary>The library's deterministic subsetting (<see cref="SubsetRing"/> and <see cref="PeerGrid"/>).</summary>
    Deterministic,

    /// <summary>
    /// Random subsetting: each client keeps the S endpoints with the highest rendezvous score for its own seed (gRPC
    /// A68; what the scaling group's subset launcher used to do).
    /// </summary>
    Random,

    /// <summary>
    /// Consistent subsetting: endpoints on a hash ring, each client takes the S that follow its own hash. Moves only
    /// what a change forces, balances like random subsetting.
    /// </summary>
    Consistent,

    /// <summary>
    /// Plain rank windows: the hash-ordered ring, client i's window starting at ⌊i · N / C⌋ (Finagle's deterministic
    /// aperture geometry; SRE's deterministic subsetting when N is a multiple of S). Exact like
    /// <see cref="Deterministic"/>, without its van der Corput client order and phases.
    /// </summary>
    RankGrid,
}

internal static class Subsets
{
    public static LoadBalancedEndpoint[] Endpoints(int count, int generation = 0) =>
        Enumerable.Range(0, count).Select(i => new LoadBalancedEndpoint(new Uri(string.Create(CultureInfo.InvariantCulture,
            $"http://10.{generation}.{i / 250}.{i % 250}:8080")))).ToArray();

    /// <summary>Each client's subset, as indices into <paramref name="members"/>; client identities are 0..C−1.</summary>
    public static int[][] Build(SubsetKind kind, IReadOnlyList<LoadBalancedEndpoint> members, int clients, int size, int seed) => kind switch
    {
        SubsetKind.Deterministic => Deterministic(members, clients, size),
        SubsetKind.Random => Random(members, clients, size, seed),
        SubsetKind.Consistent => Consistent(members, clients, size, seed),
        _ => RankGrid(members, clients, size),
    };

    public static int[][] RankGrid(IReadOnlyList<LoadBalancedEndpoint> members, int clients, int size)
    {
        var ring = Enumerable.Range(0, members.Count).OrderBy(i => StableHash.Hash(members[i].Id)).ThenBy(i => members[i].Id, StringComparer.Ordinal).ToArray();
        size = Math.Min(size, members.Count);
        var subsets = new int[clients][];
        for (var c = 0; c < clients; c++)
        {
            var start = (int)((long)c * ring.Length / clients);
            subsets[c] = Enumerable.Range(0, size).Select(k => ring[(start + k) % ring.Length]).ToArray();
        }

        return subsets;
    }

    public static int[][] Deterministic(IReadOnlyList<LoadBalancedEndpoint> members, int clients, int size)
    {
        var ring = SubsetRing.Build(members, SubsetZoneMode.Proportional, null);
        var slots = PeerGrid.Slots(clients);
        var phase = PeerGrid.Phase(clients);
        var buffer = new int[members.Count];
        var subsets = new int[clients][];
        for (var c = 0; c < clients; c++)
        {
            var count = ring.Select(ring.StartOf(slots[c], phase, clients), Math.Min(size, ring.Count), [], buffer);
            subsets[c] = buffer[..count];
        }

        return subsets;
    }

    public static int[][] Random(IReadOnlyList<LoadBalancedEndpoint> members, int clients, int size, int seed)
    {
        var hashes = members.Select(m => StableHash.Hash(m.Id)).ToArray();
        size = Math.Min(size, members.Count);
        var subsets = new int[clients][];
        var best = new PriorityQueue<int, ulong>(size + 1);
        for (var c = 0; c < clients; c++)
        {
            var clientSeed = StableHash.Mix((ulong)seed, (ulong)c + 1);
            best.Clear();
            for (var i = 0; i < hashes.Length; i++)
            {
                var score = StableHash.Mix(hashes[i] ^ clientSeed, 7);
                if (best.Count < size)
                {
                    best.Enqueue(i, score);
                }
                else if (best.TryPeek(out _, out var lowest) && score > lowest)
                {
                    best.DequeueEnqueue(i, score);
                }
            }

            subsets[c] = best.UnorderedItems.Select(x => x.Element).ToArray();
        }

        return subsets;
    }

    public static int[][] Consistent(IReadOnlyList<LoadBalancedEndpoint> members, int clients, int size, int seed)
    {
        var ring = Enumerable.Range(0, members.Count).Select(i => (Hash: StableHash.Hash(members[i].Id), Index: i)).OrderBy(x => x.Hash).ToArray();
        var positions = ring.Select(x => x.Hash).ToArray();
        size = Math.Min(size, members.Count);
        var subsets = new int[clients][];
        for (var c = 0; c < clients; c++)
        {
            var anchor = StableHash.Mix((ulong)seed, (ulong)c + 1);
            var at = Array.BinarySearch(positions, anchor);
            at = at < 0 ? ~at : at;
            subsets[c] = Enumerable.Range(0, size).Select(k => ring[(at + k) % ring.Length].Index).ToArray();
        }

        return subsets;
    }

    /// <summary>How many clients hold each endpoint.</summary>
    public static int[] ClientsPerEndpoint(int[][] subsets, int endpoints)
    {
        var counts = new int[endpoints];
        foreach (var subset in subsets)
        {
            foreach (var e in subset)
            {
                counts[e]++;
            }
        }

        return counts;
    }
}
