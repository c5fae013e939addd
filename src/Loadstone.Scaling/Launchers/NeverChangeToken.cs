using Microsoft.Extensions.Primitives;

namespace Loadstone.Scaling;

/// <summary>A change token that never fires, for sources whose endpoints never change.</summary>
internal sealed class NeverChangeToken : IChangeToken
{
    public static NeverChangeToken Instance { get; } = new();

    public bool HasChanged => false;

    public bool ActiveChangeCallbacks => true;

    public IDisposable RegisterChangeCallback(Action<object?> callback, object? state) => NoRegistration.Instance;

    private sealed class NoRegistration : IDisposable
    {
        public static NoRegistration Instance { get; } = new();

        public void Dispose()
        {
        }
    }
}
