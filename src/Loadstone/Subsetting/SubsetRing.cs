namespace Loadstone;

/// <summary>
/// The ring the subsets are cut from, built once per membership change (O(N log N)): the members in the order of
/// a stable hash of their ids, zones interleaved in proportion. Client i of C takes the window of the subset's size
/// starting at ring position ⌊(s_i + φ_C) · N / C − φ_E⌋ (s_i its <see cref="PeerGrid"/> slot); the starts are
/// ⌊N/C⌋ or ⌈N/C⌉ apart, so every member lies in ⌊CS/N⌋ or ⌈CS/N⌉ windows.
/// </summary>
/// <remarks>
/// <para>
/// Within a zone, member r of n (by hash) sits at t = (r + φ_z) / n, where φ_z is the zone's mean of
/// hash-position × n − r: t stays close to the member's hash position, so adding or removing a member shifts the others'
/// positions only by the local imbalance of the hash, not by a whole rank each. The zones are merged by t, so any
/// window holds each zone in proportion to its size, within one. φ_E, the mean of t × N − ring position, anchors the
/// client grid to the same place for the same reason.
/// </para>
/// <para>Pure: the same members (in any order), zones and coordinate give the same subset in every process.</para>
/// </remarks>
internal sealed class SubsetRing
{
    private const double TwoTo64 = 18_446_744_073_709_551_616.0;

    private readonly int[] _members;
    private readonly int[] _zones;
    private readonly int _zoneCount;
    private readonly double _phase;

    private SubsetRing(int[] members, int[] zones, int zoneCount, double phase, int memberCount, bool localOnly)
    {
        _members = members;
        _zones = zones;
        _zoneCount = zoneCount;
        _phase = phase;
        MemberCount = memberCount;
        IsLocalOnly = localOnly;
    }

    /// <summary>The number of members on the ring (the local zone's, in <see cref="SubsetZoneMode.LocalZone"/>).</summary>
    public int Count => _members.Length;

    /// <summary>The number of members the ring was built from (the length a health span must have).</summary>
    public int MemberCount { get; }

    /// <summary><see langword="true"/> when the ring holds the local zone's members only.</summary>
    public bool IsLocalOnly { get; }

    /// <summary>The member index (in the order given to <see cref="Build"/>) at a ring position.</summary>
    public int MemberAt(int position) => _members[position];

    /// <summary>Builds the ring.</summary>
    /// <param name="members">The pool's members, at least one; subsets are returned as indices into this list.</param>
    /// <param name="zoneMode">How subsets are spread over zones.</param>
    /// <param name="localZone">The caller's zone, for <see cref="SubsetZoneMode.LocalZone"/> (compared case-insensitively).</param>
    public static SubsetRing Build(IReadOnlyList<LoadBalancedEndpoint> members, SubsetZoneMode zoneMode, string? localZone)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0)
        {
            throw new ArgumentException("At least one member is needed.", nameof(members));
        }

        var chosen = new List<int>(members.Count);
        if (zoneMode == SubsetZoneMode.LocalZone && !string.IsNullOrWhiteSpace(localZone))
        {
            for (var i = 0; i < members.Count; i++)
            {
                if (string.Equals(members[i].Zone, localZone, StringComparison.OrdinalIgnoreCase))
                {
                    chosen.Add(i);
                }
            }
        }

        var localOnly = chosen.Count > 0;
        if (!localOnly)
        {
            for (var i = 0; i < members.Count; i++)
            {
                chosen.Add(i);
            }
        }

        // Zones numbered in a process-independent order; members without a zone form one more.
        var zoneNames = chosen.Select(i => members[i].Zone ?? string.Empty).Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.OrdinalIgnoreCase).ToArray();
        var zoneNumber = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var z = 0; z < zoneNames.Length; z++)
        {
            zoneNumber[zoneNames[z]] = z;
        }

        var n = chosen.Count;
        var entries = new Entry[n];
        for (var k = 0; k < n; k++)
        {
            var i = chosen[k];
            entries[k] = new Entry(i, zoneNumber[members[i].Zone ?? string.Empty], StableHash.Hash(members[i].Id), members[i].Id);
        }

        // Within each zone: rank by hash, then t = (rank + φ_z) / size, folded into [0, 1).
        Array.Sort(entries, static (a, b) => a.Zone != b.Zone ? a.Zone.CompareTo(b.Zone) : a.CompareByHash(b));
        for (var start = 0; start < n;)
        {
            var end = start;
            while (end < n && entries[end].Zone == entries[start].Zone)
            {
                end++;
            }

            var size = end - start;
            var offsets = 0d;
            for (var k = start; k < end; k++)
            {
                offsets += (entries[k].Hash / TwoTo64 * size) - (k - start);
            }

            var zonePhase = offsets / size;
            for (var k = start; k < end; k++)
            {
                var t = (k - start + zonePhase) / size;
                entries[k].Position = t - Math.Floor(t);
            }

            start = end;
        }

        Array.Sort(entries, static (a, b) => a.Position != b.Position ? a.Position.CompareTo(b.Position)
            : a.Zone != b.Zone ? a.Zone.CompareTo(b.Zone) : a.CompareByHash(b));
        var ring = new int[n];
        var zones = new int[n];
        var phase = 0d;
        for (var p = 0; p < n; p++)
        {
            ring[p] = entries[p].Member;
            zones[p] = entries[p].Zone;
            phase += (entries[p].Position * n) - p;
        }

        return new SubsetRing(ring, zones, zoneNames.Length, phase / n, members.Count, localOnly);
    }

    /// <summary>The ring position where the window of <paramref name="coordinate"/> starts. O(C).</summary>
    public int StartOf(PeerCoordinate coordinate) =>
        StartOf(PeerGrid.SlotOf(coordinate.Index, coordinate.Count), PeerGrid.Phase(coordinate.Count), coordinate.Count);

    /// <summary>The ring position where the window of grid slot <paramref name="slot"/> starts, with the grid's phase precomputed.</summary>
    public int StartOf(int slot, double gridPhase, int clientCount)
    {
        var n = Count;
        var start = (long)Math.Floor(((slot + gridPhase) * n / clientCount) - _phase) % n;
        return (int)(start < 0 ? start + n : start);
    }

    /// <summary>
    /// Control plane: the subset starting at ring position <paramref name="start"/>, as member indices. Each member of
    /// the window that <paramref name="healthy"/> says is unhealthy is replaced by the next healthy member after the
    /// window in the same zone (else in any zone) while it is unhealthy; with no healthy member anywhere the window is
    /// returned as it is, for the pool's fail-open to act on. O(size) when all are healthy.
    /// </summary>
    /// <param name="start">From <see cref="StartOf(PeerCoordinate)"/>.</param>
    /// <param name="size">The subset size, 1 to <see cref="Count"/>.</param>
    /// <param name="healthy">Health by member index (length <see cref="MemberCount"/>), or empty for all healthy.</param>
    /// <param name="destination">Receives the member indices; at least <paramref name="size"/> long.</param>
    /// <returns>How many indices were written.</returns>
    public int Select(int start, int size, ReadOnlySpan<bool> healthy, Span<int> destination)
    {
        var n = Count;
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(start, n);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, n);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, size);
        if (!healthy.IsEmpty && healthy.Length != MemberCount)
        {
            throw new ArgumentException($"Expected health for {MemberCount} members, got {healthy.Length}.", nameof(healthy));
        }

        var count = 0;
        var missing = 0;
        Span<int> missingByZone = _zoneCount <= 32 ? stackalloc int[_zoneCount] : new int[_zoneCount];
        for (var k = 0; k < size; k++)
        {
            var p = Wrap(start + k);
            var member = _members[p];
            if (healthy.IsEmpty || healthy[member])
            {
                destination[count++] = member;
            }
            else
            {
                missingByZone[_zones[p]]++;
                missing++;
            }
        }

        if (missing == 0)
        {
            return count;
        }

        // Replacements: the next healthy members after the window, first from the zones that lost one.
        var sameZoneCount = count;
        for (var k = size; k < n && missing > 0; k++)
        {
            var p = Wrap(start + k);
            var member = _members[p];
            if (missingByZone[_zones[p]] > 0 && healthy[member])
            {
                destination[count++] = member;
                missingByZone[_zones[p]]--;
                missing--;
            }
        }

        for (var k = size; k < n && missing > 0; k++)
        {
            var member = _members[Wrap(start + k)];
            if (healthy[member] && !destination[sameZoneCount..count].Contains(member))
            {
                destination[count++] = member;
                missing--;
            }
        }

        if (count > 0)
        {
            return count;
        }

        for (var k = 0; k < size; k++)
        {
            destination[k] = _members[Wrap(start + k)];
        }

        return size;
    }

    private int Wrap(int position) => position < _members.Length ? position : position - _members.Length;

    private struct Entry(int member, int zone, ulong hash, string id)
    {
        public readonly int Member = member;
        public readonly int Zone = zone;
        public readonly ulong Hash = hash;
        public readonly string Id = id;
        public double Position;

        public readonly int CompareByHash(in Entry other) =>
            Hash != other.Hash ? Hash.CompareTo(other.Hash) : string.CompareOrdinal(Id, other.Id);
    }
}
