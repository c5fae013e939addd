using BenchmarkDotNet.Attributes;
using Loadstone.Scaling;

namespace Loadstone.Benchmarks;

/// <summary>
/// Consistent hashing at fleet scale (control plane): <see cref="Build"/> is a Maglev table's rebuild when the
/// candidates change (time, and the bytes allocated, which are the table and its scratch arrays);
/// <see cref="LookupBounded"/> places a new key under bounded loads, which must not grow with the pool.
/// </summary>
[MemoryDiagnoser]
public class MaglevBenchmarks
{
    private string[] _ids = [];
    private MaglevTable _table = null!;
    private int[] _loads = [];
    private ulong _key = 1;

    [Params(100, 1000, 10_000)]
    public int Endpoints { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ids = Enumerable.Range(0, Endpoints).Select(i => $"http://10.0.{i / 250}.{i % 250}:8080").ToArray();
        _table = MaglevTable.Build(_ids);
        _loads = Enumerable.Range(0, Endpoints).Select(i => 100 + (i % 7)).ToArray();
    }

    [Benchmark]
    public int Build() => MaglevTable.Build(_ids).TableSize;

    [Benchmark]
    public int LookupBounded() => _table.LookupBounded(_key = StableHash.Mix(_key, 1), new Loads(_loads, 100 * Endpoints), 1.25);

    private readonly struct Loads(int[] loads, int total) : IEndpointLoads
    {
        public int this[int index] => loads[index];

        public int Total => total;
    }
}

/// <summary>
/// Subsetting at fleet scale (control plane): <see cref="BuildRing"/> runs when the membership changes,
/// <see cref="Select"/> on every snapshot rebuild (health change), <see cref="SelectWithFiveUnhealthy"/> with
/// replacements to find, <see cref="LaunchAndStop"/> one launch (and stop) of the scaling group's subset launcher.
/// </summary>
[MemoryDiagnoser]
public class SubsettingBenchmarks
{
    private LoadBalancedEndpoint[] _members = [];
    private SubsetRing _ring = null!;
    private int _start;
    private int[] _buffer = [];
    private bool[] _healthy = [];
    private SubsetInstanceLauncher _launcher = null!;

    [Params(10_000)]
    public int Endpoints { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string[] zones = ["a", "b", "c"];
        _members = Enumerable.Range(0, Endpoints).Select(i => new LoadBalancedEndpoint(new Uri($"http://10.0.{i / 250}.{i % 250}:8080"), zones[i % 3])).ToArray();
        _ring = SubsetRing.Build(_members, SubsetZoneMode.Proportional, null);
        _start = _ring.StartOf(new PeerCoordinate(417, 1000));
        _buffer = new int[Endpoints];
        _healthy = Enumerable.Repeat(true, Endpoints).ToArray();
        for (var k = 0; k < 50; k += 10)
        {
            _healthy[_ring.MemberAt((_start + k) % _ring.Count)] = false;
        }

        _launcher = new SubsetInstanceLauncher(new DynamicEndpointSource("fleet", _members), 417, 1000);
        for (var k = 0; k < 49; k++)
        {
            _launcher.LaunchAsync(zones[k % 3], CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _launcher.Dispose();

    [Benchmark]
    public int BuildRing() => SubsetRing.Build(_members, SubsetZoneMode.Proportional, null).Count;

    [Benchmark]
    public int Select() => _ring.Select(_start, 50, [], _buffer);

    [Benchmark]
    public int SelectWithFiveUnhealthy() => _ring.Select(_start, 50, _healthy, _buffer);

    [Benchmark]
    public async Task<string> LaunchAndStop()
    {
        var instance = await _launcher.LaunchAsync("b", CancellationToken.None);
        await _launcher.StopAsync(instance, CancellationToken.None);
        return instance.Id;
    }
}
