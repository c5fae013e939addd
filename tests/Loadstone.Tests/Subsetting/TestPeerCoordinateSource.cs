using Microsoft.Extensions.Primitives;

namespace Loadstone.Tests.Subsetting;

/// <summary>A coordinate a test moves by hand, firing the change token as a registry would.</summary>
internal sealed class TestPeerCoordinateSource(PeerCoordinate initial) : IPeerCoordinateSource
{
    private CancellationTokenSource _changed = new();

    public string Name => "test";

    public PeerCoordinate Current { get; private set; } = initial;

    public IChangeToken GetChangeToken() => new CancellationChangeToken(_changed.Token);

    public void Move(PeerCoordinate coordinate)
    {
        Current = coordinate;
        var fired = _changed;
        _changed = new CancellationTokenSource();
        fired.Cancel();
        fired.Dispose();
    }
}
