using System.Globalization;

namespace Loadstone.LoadLab;

/// <summary>The lab's command line: a scenario and its bounds.</summary>
internal sealed class LabOptions
{
    public const string Usage = """
        Loadstone performance lab. One command per scenario:
          homogeneous   10 equal backends: throughput and latency, Loadstone vs direct vs HAProxy/nginx/YARP
          slow          one backend of 10 at 10x latency: tail latency per strategy (and hedged) vs the proxies
          failure       one backend answering 503 and one killed mid-run, retries on: client errors, time to eject
          zones         client in zone a, backends in a and b: share of cross-zone requests per zone mode
          fleet         virtual-time simulation: 10,000 endpoints, 1M+ requests; snapshot rebuild time, memory
          outage        2 of 3 backends refuse connections within a second of a fresh client, 4 callers: failed requests
          slownode      11 backends at 5 ms, one at 100 ms for the middle third, callers time out at 50 ms: success
          all           every scenario in turn
        Options (defaults in brackets; --short picks tiny ones):
          --duration 5s        measured time per client kind per round (ms, s suffixes)
          --warmup 1s          unmeasured warm-up before each measurement
          --concurrency 32     closed-loop workers
          --rounds 5           A/B interleaved rounds (kinds rotate their order each round)
          --backends 10        backend processes
          --max-requests N     cap of requests per measurement [2000000]
          --kinds a,b,..       only these kinds (direct, p2c, peakewma, roundrobin, random, weightedroundrobin,
                               leastrequests, firstavailable, p2c+hedge, peakewma+hedge, haproxy, nginx, yarp)
          --no-peers           skip HAProxy, nginx and YARP
          --endpoints 10000    fleet: simulated endpoints
          --requests 1000000   fleet: simulated requests per strategy
          --seed 42            fleet: random seed
          --out DIR            where CSV/JSON/plot data go [bench/results; a temp folder with --short]
          --short              seconds-long smoke run with tiny counts
        """;

    public string Command { get; set; } = "";

    public bool Short { get; set; }

    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan Warmup { get; set; } = TimeSpan.FromSeconds(1);

    public int Concurrency { get; set; } = 32;

    public int Rounds { get; set; } = 5;

    public int Backends { get; set; } = 10;

    public long MaxRequests { get; set; } = 2_000_000;

    public HashSet<string>? Kinds { get; set; }

    public bool NoPeers { get; set; }

    public int Endpoints { get; set; } = 10_000;

    public long Requests { get; set; } = 1_000_000;

    public int Seed { get; set; } = 42;

    public string? Out { get; set; }

    public bool Wants(string kind) => Kinds is null || Kinds.Contains(kind);

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with a message on a bad one.</summary>
    public static LabOptions Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            throw new ArgumentException("Give a scenario: homogeneous, slow, failure, zones, fleet, outage, slownode or all.");
        }

        var o = new LabOptions { Command = args[0].ToLowerInvariant() };
        var explicitly = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            var name = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            explicitly.Add(name);
            switch (name)
            {
                case "--short": o.Short = true; break;
                case "--no-peers": o.NoPeers = true; break;
                case "--duration": o.Duration = ParseTime(name, Next()); break;
                case "--warmup": o.Warmup = ParseTime(name, Next()); break;
                case "--concurrency": o.Concurrency = ParseInt(name, Next(), 1, 4096); break;
                case "--rounds": o.Rounds = ParseInt(name, Next(), 1, 100); break;
                case "--backends": o.Backends = ParseInt(name, Next(), 2, 100); break;
                case "--max-requests": o.MaxRequests = ParseInt(name, Next(), 1, int.MaxValue); break;
                case "--kinds": o.Kinds = new HashSet<string>(Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase); break;
                case "--endpoints": o.Endpoints = ParseInt(name, Next(), 2, 1_000_000); break;
                case "--requests": o.Requests = ParseInt(name, Next(), 1, int.MaxValue); break;
                case "--seed": o.Seed = ParseInt(name, Next(), 0, int.MaxValue); break;
                case "--out": o.Out = Next(); break;
                default: throw new ArgumentException($"Unknown option {name}.");
            }
        }

        if (o.Short)
        {
            // Tiny defaults, each still overridable.
            if (!explicitly.Contains("--duration")) o.Duration = TimeSpan.FromMilliseconds(600);
            if (!explicitly.Contains("--warmup")) o.Warmup = TimeSpan.FromMilliseconds(200);
            if (!explicitly.Contains("--concurrency")) o.Concurrency = 4;
            if (!explicitly.Contains("--rounds")) o.Rounds = 1;
            if (!explicitly.Contains("--backends")) o.Backends = 3;
            if (!explicitly.Contains("--max-requests")) o.MaxRequests = 5_000;
            if (!explicitly.Contains("--endpoints")) o.Endpoints = 500;
            if (!explicitly.Contains("--requests")) o.Requests = 20_000;
        }

        return o;
    }

    private static TimeSpan ParseTime(string name, string value)
    {
        var ms = value.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? value[..^2]
            : value.EndsWith('s') ? value[..^1] : value;
        var factor = value.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? 1 : 1000;
        if (!double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < 0 || n * factor > 3_600_000)
        {
            throw new ArgumentException($"{name} is '{value}'; give a time such as 500ms or 10s (at most 1 h).");
        }

        return TimeSpan.FromMilliseconds(n * factor);
    }

    private static int ParseInt(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{name} is '{value}'; give a whole number from {min} to {max}.");
}
