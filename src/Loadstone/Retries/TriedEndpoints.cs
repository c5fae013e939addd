namespace Loadstone;

/// <summary>The endpoints a request has already tried, kept inline (no allocation) for up to 4 entries.</summary>
internal struct TriedEndpoints
{
    private EndpointState? _a;
    private EndpointState? _b;
    private EndpointState? _c;
    private EndpointState? _d;

    public int Count { get; private set; }

    public void Add(EndpointState state)
    {
        switch (Count)
        {
            case 0: _a = state; break;
            case 1: _b = state; break;
            case 2: _c = state; break;
            case 3: _d = state; break;
            default: _d = state; return; // Beyond 4, remember only the latest.
        }

        Count++;
    }

    public readonly bool Contains(EndpointState state) =>
        Count > 0 && (ReferenceEquals(_a, state) || ReferenceEquals(_b, state) || ReferenceEquals(_c, state) || ReferenceEquals(_d, state));
}
