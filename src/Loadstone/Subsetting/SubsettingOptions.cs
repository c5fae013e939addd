namespace Loadstone;

/// <summary>
/// Subsetting: with many clients and many endpoints, each client keeps connections to a small subset of the service
/// instead of all of it, and the subsets are chosen together so that every endpoint gets the same number of clients
/// (within one) and the same share of requests. Needs this client's peer coordinate (which client it is, out of
/// how many). Configure in code or under <c>LoadBalancing:Services:{service}:Subsetting</c>.
/// </summary>
/// <remarks>
/// Endpoints are laid on a ring in the order of a stable hash of their ids; client i of C takes the window of the
/// subset's size that starts at its share of the ring, so the windows of all clients cover the ring evenly. An
/// unhealthy member of the subset is replaced by the next healthy endpoint after the window while it is unhealthy,
/// and handed back when it recovers. Weights are not considered when choosing the subset; the strategy honours them
/// within it. See docs/subsetting.md for what it costs when endpoints or clients come and go.
/// </remarks>
public sealed class SubsettingOptions
{
    /// <summary>The default <see cref="SubsetSize"/>: 20 endpoints.</summary>
    public const int DefaultSubsetSize = 20;

    /// <summary>The default <see cref="MinAperture"/>: 12 endpoints, as Finagle's deterministic aperture.</summary>
    public const int DefaultMinAperture = 12;

    /// <summary>The highest <see cref="SubsetSize"/> and <see cref="MinAperture"/>: 10,000.</summary>
    public const int MaxSubsetSize = 10_000;

    /// <summary>The highest <see cref="ClientCount"/>: 1,000,000.</summary>
    public const int MaxClientCount = 1_000_000;

    /// <summary>Whether and how subsets are chosen. The default is <see cref="SubsettingMode.Off"/>.</summary>
    public SubsettingMode Mode { get; set; }

    /// <summary>
    /// The number of endpoints each client talks to, for <see cref="SubsettingMode.Deterministic"/> (a service with
    /// fewer endpoints is used whole). Each endpoint then has about <c>clients × SubsetSize / endpoints</c> clients.
    /// The default is 20; the range is 1 to 10,000. Like the subset size of Google's deterministic subsetting.
    /// </summary>
    public int SubsetSize { get; set; } = DefaultSubsetSize;

    /// <summary>
    /// The fewest endpoints a client talks to, for <see cref="SubsettingMode.Aperture"/>: the subset grows beyond it
    /// only as far as needed for every endpoint to have a client. The default is 12, as Finagle's
    /// <c>minDeterministicAperture</c>; the range is 1 to 10,000.
    /// </summary>
    public int MinAperture { get; set; } = DefaultMinAperture;

    /// <summary>
    /// This client's index among the clients of the service, from 0 to <see cref="ClientCount"/> − 1: a stable ordinal,
    /// such as a StatefulSet pod's ordinal. Two clients must never share an index. Required (with
    /// <see cref="ClientCount"/>) when subsetting is on, unless a peer coordinate source is given in code
    /// (<c>UsePeerCoordinates</c>, or <see cref="ServicePoolDependencies.PeerCoordinates"/>). The default is
    /// <see langword="null"/> (not set).
    /// </summary>
    public int? ClientIndex { get; set; }

    /// <summary>
    /// The number of clients of the service that subset it together (the StatefulSet's replica count). The default is
    /// <see langword="null"/> (not set); the range is 1 to 1,000,000.
    /// </summary>
    public int? ClientCount { get; set; }

    /// <summary>How subsets are spread over zones. The default is <see cref="SubsetZoneMode.Proportional"/>.</summary>
    public SubsetZoneMode ZoneMode { get; set; }

    /// <summary><see langword="true"/> when <see cref="Mode"/> is not <see cref="SubsettingMode.Off"/>.</summary>
    public bool IsEnabled => Mode != SubsettingMode.Off;

    /// <summary>Sets this client's coordinate: its index among <paramref name="count"/> clients.</summary>
    /// <param name="index">
    /// The client's index, from 0 to <paramref name="count"/> − 1. Values out of range are reported by validation,
    /// naming the service and the setting.
    /// </param>
    /// <param name="count">The number of clients, 1 to 1,000,000.</param>
    /// <returns>These options.</returns>
    public SubsettingOptions Coordinate(int index, int count)
    {
        ClientIndex = index;
        ClientCount = count;
        return this;
    }

    /// <summary>The source of this client's coordinate: <paramref name="source"/> when given, else one built from the index and count.</summary>
    /// <exception cref="InvalidOperationException">Neither is set, or the index and count are out of range.</exception>
    internal IPeerCoordinateSource CreatePeerCoordinateSource(string service, IPeerCoordinateSource? source)
    {
        if (source is not null)
        {
            return source;
        }

        if (ClientIndex is { } index && ClientCount is { } count && count >= 1 && index >= 0 && index < count)
        {
            return new StaticPeerCoordinateSource($"options:{service}", new PeerCoordinate(index, count));
        }

        throw new InvalidOperationException($"Service '{service}': subsetting needs this client's coordinate (Subsetting:ClientIndex and Subsetting:ClientCount, or a peer coordinate source).");
    }

    /// <summary>Every problem with these options, each naming the setting and its configuration key.</summary>
    /// <param name="service">The service, for the messages.</param>
    /// <param name="localZone">The pool's <c>Zones:LocalZone</c>, which <see cref="SubsetZoneMode.LocalZone"/> needs.</param>
    /// <param name="hasPeerCoordinates">A peer coordinate source is given in code, so the index and count are not needed.</param>
    internal List<string> Validate(string service, string? localZone, bool hasPeerCoordinates = false)
    {
        var problems = new List<string>();
        var key = $"LoadBalancing:Services:{service}:Subsetting";
        if (!Enum.IsDefined(Mode))
        {
            problems.Add($"Service '{service}': Subsetting:Mode ({key}:Mode) is {(int)Mode}; use one of {string.Join(", ", Enum.GetNames<SubsettingMode>())}.");
        }

        if (!Enum.IsDefined(ZoneMode))
        {
            problems.Add($"Service '{service}': Subsetting:ZoneMode ({key}:ZoneMode) is {(int)ZoneMode}; use one of {string.Join(", ", Enum.GetNames<SubsetZoneMode>())}.");
        }

        Range(problems, service, key, "SubsetSize", SubsetSize, 1, MaxSubsetSize);
        Range(problems, service, key, "MinAperture", MinAperture, 1, MaxSubsetSize);
        if (ClientCount is { } count)
        {
            Range(problems, service, key, "ClientCount", count, 1, MaxClientCount);
        }

        if (ClientIndex is { } index)
        {
            if (ClientCount is not { } total)
            {
                problems.Add($"Service '{service}': Subsetting:ClientIndex ({key}:ClientIndex) is set but Subsetting:ClientCount ({key}:ClientCount) is not; set the number of clients too.");
            }
            else if ((index < 0 || index >= total) && total >= 1)
            {
                problems.Add($"Service '{service}': Subsetting:ClientIndex ({key}:ClientIndex) is {index}; it must be between 0 and Subsetting:ClientCount − 1 ({total - 1}).");
            }
        }
        else if (ClientCount is not null && !hasPeerCoordinates)
        {
            problems.Add($"Service '{service}': Subsetting:ClientCount ({key}:ClientCount) is set but Subsetting:ClientIndex ({key}:ClientIndex) is not; set this client's index too.");
        }

        if (IsEnabled && !hasPeerCoordinates && (ClientIndex is null || ClientCount is null))
        {
            problems.Add($"Service '{service}': Subsetting:Mode ({key}:Mode) is {Mode} but this client's coordinate is not set; set Subsetting:ClientIndex ({key}:ClientIndex, e.g. a StatefulSet ordinal) and Subsetting:ClientCount ({key}:ClientCount), or give a peer coordinate source in code (UsePeerCoordinates).");
        }

        if (IsEnabled && ZoneMode == SubsetZoneMode.LocalZone && string.IsNullOrWhiteSpace(localZone))
        {
            problems.Add($"Service '{service}': Subsetting:ZoneMode ({key}:ZoneMode) is LocalZone but Zones:LocalZone (LoadBalancing:Services:{service}:Zones:LocalZone) is not set; set the caller's zone.");
        }

        return problems;
    }

    private static void Range(List<string> problems, string service, string key, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            problems.Add($"Service '{service}': Subsetting:{setting} ({key}:{setting}) is {value}; it must be between {min} and {max}.");
        }
    }
}
