using System.Collections.Concurrent;
using Microsoft.Extensions.Primitives;

namespace Loadstone.Tests.Subsetting;

/// <summary>
/// A coordinate a test moves by hand, firing the change token as a registry would; it counts the callbacks registered
/// on its change tokens that are still waiting (not disposed, their token not fired yet), so a test can see who still
/// follows it.
/// </summary>
internal sealed class TestPeerCoordinateSource(PeerCoordinate initial) : IPeerCoordinateSource
{
    private CancellationTokenSource _changed = new();
    private readonly ConcurrentDictionary<Registration, byte> _registrations = new();

    public string Name => "test";

    public PeerCoordinate Current { get; private set; } = initial;

    /// <summary>Callbacks registered on this source's change tokens, not disposed and not fired yet.</summary>
    public int Subscribers => _registrations.Keys.Count(r => !r.Token.IsCancellationRequested);

    public IChangeToken GetChangeToken() => new CountingToken(_changed.Token, this);

    public void Move(PeerCoordinate coordinate)
    {
        Current = coordinate;
        var fired = _changed;
        _changed = new CancellationTokenSource();
        fired.Cancel();
        fired.Dispose();
    }

    private sealed class CountingToken(CancellationToken token, TestPeerCoordinateSource owner) : IChangeToken
    {
        public bool HasChanged => token.IsCancellationRequested;

        public bool ActiveChangeCallbacks => true;

        public IDisposable RegisterChangeCallback(Action<object?> callback, object? state)
        {
            var registration = new Registration(token, token.Register(callback, state), owner);
            owner._registrations.TryAdd(registration, 0);
            return registration;
        }
    }

    private sealed class Registration(CancellationToken token, CancellationTokenRegistration registration, TestPeerCoordinateSource owner)
        : IDisposable
    {
        public CancellationToken Token => token;

        public void Dispose()
        {
            registration.Dispose();
            owner._registrations.TryRemove(this, out _);
        }
    }
}
