using Microsoft.Extensions.Primitives;

namespace Loadstone.Discovery;

/// <summary>
/// The change token of a push-style endpoint source: every <see cref="Fire"/> completes the current token and starts a
/// new one. Shared source file of the discovery packages.
/// </summary>
internal sealed class ChangeSignal : IDisposable
{
    private readonly Lock _gate = new();
    private CancellationTokenSource _current = new();
    private bool _disposed;

    public IChangeToken Token
    {
        get
        {
            lock (_gate)
            {
                return new CancellationChangeToken(_current.Token);
            }
        }
    }

    public void Fire()
    {
        CancellationTokenSource previous;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            previous = _current;
            _current = new CancellationTokenSource();
        }

        previous.Cancel();
    }

    /// <summary>Stops firing: the last token never fires, and the pool keeps the last set it was given.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }
    }
}
