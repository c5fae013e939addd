using Microsoft.Extensions.Primitives;

namespace Loadstone;

/// <summary>
/// Which client this is among the clients of a service that subset it together: <see cref="Index"/> of
/// <see cref="Count"/>. Like Finagle's process coordinate (instance id and total instances).
/// </summary>
/// <remarks>
/// Indices should be stable ordinals: a client keeps its index for its life, a client that leaves frees its index
/// for the next one to join, and scaling in removes the highest indices (as a StatefulSet does). Renumbering the
/// survivors densely when a client in the middle leaves moves most clients' subsets.
/// </remarks>
public readonly record struct PeerCoordinate
{
    /// <summary>Creates a coordinate.</summary>
    /// <param name="index">The client's index, from 0 to <paramref name="count"/> − 1.</param>
    /// <param name="count">The number of clients, from 1 to <see cref="SubsettingOptions.MaxClientCount"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The count or index is out of range.</exception>
    public PeerCoordinate(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, SubsettingOptions.MaxClientCount);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        Index = index;
        Count = count;
    }

    /// <summary>This client's index, from 0 to <see cref="Count"/> − 1.</summary>
    public int Index { get; }

    /// <summary>The number of clients, at least 1.</summary>
    public int Count { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Index} of {Count}";
}

/// <summary>A coordinate that never changes, from <see cref="SubsettingOptions.ClientIndex"/> and <see cref="SubsettingOptions.ClientCount"/>.</summary>
internal sealed class StaticPeerCoordinateSource(string name, PeerCoordinate coordinate) : IPeerCoordinateSource
{
    public string Name { get; } = name;

    public PeerCoordinate Current { get; } = coordinate;

    public IChangeToken? GetChangeToken() => null;
}
