namespace Loadstone;

/// <summary>How a client chooses the subset of a service's endpoints it talks to.</summary>
public enum SubsettingMode
{
    /// <summary>The default: no subsetting; the client balances over every endpoint of the service.</summary>
    Off,

    /// <summary>
    /// Deterministic subsetting (Google SRE, ch. 20): each client talks to <see cref="SubsettingOptions.SubsetSize"/>
    /// endpoints, chosen from its peer coordinate so that every endpoint has the same number of clients, within one.
    /// </summary>
    Deterministic,

    /// <summary>
    /// Finagle's deterministic aperture: the subset is the smallest that gives every endpoint at least one client and
    /// this client at least <see cref="SubsettingOptions.MinAperture"/> endpoints; every endpoint again has the same
    /// number of clients, within one.
    /// </summary>
    Aperture,
}
