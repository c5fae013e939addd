namespace Loadstone;

/// <summary>A strategy that wraps another (zone preference, sticky keys), so a reload can rewrap the user's strategy.</summary>
internal interface IWrappingStrategy
{
    /// <summary>The user's strategy at the centre of the wrapping.</summary>
    ILoadBalancingStrategy Innermost { get; }
}
