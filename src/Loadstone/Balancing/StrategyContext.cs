namespace Loadstone;

/// <summary>What a strategy factory gets to build a strategy for one pool.</summary>
/// <param name="ServiceName">The logical service the strategy will serve.</param>
/// <param name="Random">The pool's random source (seeded in tests, <see cref="System.Random.Shared"/> otherwise).</param>
/// <param name="TimeProvider">The pool's clock.</param>
public readonly record struct StrategyContext(string ServiceName, Random Random, TimeProvider TimeProvider);
