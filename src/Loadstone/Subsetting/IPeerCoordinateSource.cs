using Microsoft.Extensions.Primitives;

namespace Loadstone;

/// <summary>
/// Supplies this client's <see cref="PeerCoordinate"/> and says when it changes: the extension point for a peer
/// registry (clients registering under a lease, the sorted live set numbering them). The pool reads
/// <see cref="Current"/> when it builds a snapshot and again each time the token from <see cref="GetChangeToken"/> fires.
/// </summary>
public interface IPeerCoordinateSource
{
    /// <summary>A short description for logs and errors, e.g. <c>etcd:/peers/catalog</c>.</summary>
    string Name { get; }

    /// <summary>
    /// The current coordinate. A registry should hand its source to a pool only once it knows the coordinate (it has
    /// joined the peer set).
    /// </summary>
    PeerCoordinate Current { get; }

    /// <summary>A token that fires when the coordinate may have changed, or <see langword="null"/> if it never does.</summary>
    IChangeToken? GetChangeToken();
}
