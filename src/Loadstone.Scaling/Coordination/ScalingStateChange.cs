using Microsoft.Extensions.Primitives;

namespace Loadstone.Scaling;

/// <summary>One document of a group's state to write, or to delete.</summary>
/// <param name="Key">The document's key, e.g. <c>group</c> or <c>activities/0000000000000000042</c>.</param>
/// <param name="Value">The document (UTF-8 JSON); empty for a delete.</param>
/// <param name="IsDelete">Whether the document is deleted.</param>
public readonly record struct ScalingStateChange(string Key, ReadOnlyMemory<byte> Value, bool IsDelete)
{
    /// <summary>A document to write.</summary>
    /// <param name="key">Its key.</param>
    /// <param name="value">Its content.</param>
    /// <returns>The change.</returns>
    public static ScalingStateChange Put(string key, ReadOnlyMemory<byte> value) => new(key, value, false);

    /// <summary>A document to delete.</summary>
    /// <param name="key">Its key.</param>
    /// <returns>The change.</returns>
    public static ScalingStateChange Delete(string key) => new(key, ReadOnlyMemory<byte>.Empty, true);
}
