using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Balancing;

public sealed class StrategySelectionTests
{
    public static TheoryData<string> BuiltIn() => [.. LoadBalancingStrategies.BuiltIn];

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public void Acquire_WeightZeroEndpoints_NeverPicked(string strategy)
    {
        var time = TestClock.Create();
        using var pool = Picks.Pool(strategy, 1, time, 0, 1, 0, 2, 0);

        var counts = Picks.Count(pool, 2000);

        Assert.Equal(0, counts[0] + counts[2] + counts[4]);
        Assert.Equal(2000, counts[1] + counts[3]);
    }

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public void Acquire_AllWeightsZero_ThrowsAllWeightsZero(string strategy)
    {
        using var pool = Picks.Pool(strategy, 1, 0, 0, 0);

        var ex = Assert.Throws<NoAvailableEndpointException>(() => pool.Acquire());

        Assert.Equal(NoAvailableEndpointReason.AllWeightsZero, ex.Reason);
        Assert.Equal("svc", ex.ServiceName);
        Assert.Equal("No endpoint of service 'svc' is available: every endpoint has weight 0.", ex.Message);
    }

    [Theory]
    [MemberData(nameof(BuiltIn))]
    public void Constructor_NameInAnyCase_SelectsTheBuiltIn(string strategy)
    {
        using var lower = Picks.Pool(strategy.ToLowerInvariant(), 1, 1);
        using var upper = Picks.Pool(strategy.ToUpperInvariant(), 1, 1);

        Assert.Equal(strategy, lower.StrategyName);
        Assert.Equal(strategy, upper.StrategyName);
    }

    [Fact]
    public void Constructor_NoStrategyGiven_UsesPowerOfTwoChoices()
    {
        var options = new LoadBalancingOptions();
        options.Endpoints.Add(Picks.Address(0));
        using var pool = new ServicePool("svc", options);

        Assert.Equal(LoadBalancingStrategies.PowerOfTwoChoices, pool.StrategyName);
    }

    [Fact]
    public void Acquire_StrategyFactory_UsesTheCustomStrategy()
    {
        var random = new Random(1);
        var time = TestClock.Create();
        StrategyContext? seen = null;
        var options = new LoadBalancingOptions { Strategy = "NotABuiltIn" };
        options.Endpoints.Add(Picks.Address(0));
        options.Endpoints.Add(Picks.Address(1), weight: 0);
        options.Endpoints.Add(Picks.Address(2));
        using var pool = new ServicePool("svc", options, new ServicePoolDependencies
        {
            Random = random,
            TimeProvider = time,
            StrategyFactory = context =>
            {
                seen = context;
                return new LastStrategy();
            },
        });

        var counts = Picks.Count(pool, 50);

        Assert.Equal("Last", pool.StrategyName);
        Assert.Equal([0, 0, 50], counts);
        Assert.Equal(new StrategyContext("svc", random, time), seen);
    }

    [Fact]
    public void Acquire_CustomStrategy_PrepareRunsOncePerCandidateSetWithoutWeightZero()
    {
        var strategy = new LastStrategy();
        var options = new LoadBalancingOptions();
        options.Endpoints.Add(Picks.Address(0), weight: 3);
        options.Endpoints.Add(Picks.Address(1), weight: 0);
        options.Endpoints.Add(Picks.Address(2), weight: 5);
        using var pool = new ServicePool("svc", options, new ServicePoolDependencies { StrategyFactory = _ => strategy });

        Picks.Count(pool, 100);

        Assert.Equal(1, strategy.Prepared);
        var candidates = strategy.LastCandidates!;
        Assert.Equal(2, candidates.Count);
        Assert.Equal([Picks.Address(0), Picks.Address(2)], new[] { candidates[0], candidates[1] }.Select(s => s.Endpoint.BaseAddress));
        Assert.Equal(3, candidates.GetWeight(0));
        Assert.Equal(5, candidates.GetWeight(1));
        Assert.Equal(8, candidates.TotalWeight);
        Assert.False(candidates.HasUniformWeights);
        Assert.Equal("prepared", candidates.StrategyState);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void Acquire_StrategyReturnsOutOfRangeIndex_ThrowsNamingTheStrategy(int index)
    {
        var options = new LoadBalancingOptions();
        options.Endpoints.Add(Picks.Address(0));
        options.Endpoints.Add(Picks.Address(1));
        options.Endpoints.Add(Picks.Address(2));
        using var pool = new ServicePool("svc", options, new ServicePoolDependencies { StrategyFactory = _ => new FixedStrategy(index) });

        var ex = Assert.Throws<InvalidOperationException>(() => pool.Acquire());

        Assert.Equal($"Strategy 'Fixed' of service 'svc' picked index {index} out of 3 candidates.", ex.Message);
        Assert.All(pool.Endpoints, e => Assert.Equal(0, e.ActiveRequests));
    }

    [Fact]
    public void Constructor_StrategyFactoryReturnsNull_ThrowsNamingTheService()
    {
        var options = new LoadBalancingOptions();
        options.Endpoints.Add(Picks.Address(0));

        var ex = Assert.Throws<InvalidOperationException>(() => new ServicePool("svc", options, new ServicePoolDependencies { StrategyFactory = _ => null! }));

        Assert.Equal("The strategy factory of service 'svc' returned null.", ex.Message);
    }

    private sealed class LastStrategy : ILoadBalancingStrategy
    {
        public int Prepared { get; private set; }

        public CandidateSet? LastCandidates { get; private set; }

        public string Name => "Last";

        public object? Prepare(CandidateSet candidates)
        {
            Prepared++;
            return "prepared";
        }

        public int Pick(CandidateSet candidates, HttpRequestMessage? request)
        {
            LastCandidates = candidates;
            return candidates.Count - 1;
        }
    }

    private sealed class FixedStrategy(int index) : ILoadBalancingStrategy
    {
        public string Name => "Fixed";

        public int Pick(CandidateSet candidates, HttpRequestMessage? request) => index;
    }

    [Fact]
    public void Create_RegisteredFactoryReturnsNull_ThrowsNamingTheStrategyAndTheService()
    {
        var catalog = new StrategyCatalog([new StrategyRegistration("Custom", _ => null!)]);
        var options = new LoadBalancingOptions { Strategy = "custom" };

        var ex = Assert.Throws<InvalidOperationException>(() => catalog.Create(options, new StrategyContext("svc", new Random(1), TimeProvider.System)));

        Assert.Equal("The factory registered for strategy 'custom' returned null for service 'svc'.", ex.Message);
    }

    [Fact]
    public void Create_UnknownName_ThrowsNamingTheStrategyAndTheService()
    {
        var options = new LoadBalancingOptions { Strategy = "NoSuchStrategy" };

        var ex = Assert.Throws<InvalidOperationException>(() => StrategyCatalog.BuiltInOnly.Create(options, new StrategyContext("svc", new Random(1), TimeProvider.System)));

        Assert.Equal("Strategy 'NoSuchStrategy' of service 'svc' is not known.", ex.Message);
    }
}
