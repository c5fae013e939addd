namespace Loadstone;

/// <summary>
/// One request's pick: the request, and its sticky key hash, read at most once however many stages ask (group
/// stickiness of a routing rule, then the target pool's sticky binding, then each retry).
/// </summary>
internal struct PickContext(HttpRequestMessage? request)
{
    private StickyKeyExtractor? _extractor;
    private ulong _keyHash;
    private bool _hasKey;

    public readonly HttpRequestMessage? Request => request;

    /// <summary>The request's sticky key hash as <paramref name="extractor"/> reads it.</summary>
    public bool TryGetKeyHash(StickyKeyExtractor extractor, out ulong keyHash)
    {
        if (_extractor is null || !_extractor.ReadsSameKey(extractor))
        {
            _extractor = extractor;
            _hasKey = request is not null && extractor.TryGetKeyHash(request, out _keyHash);
        }

        keyHash = _keyHash;
        return _hasKey;
    }
}
