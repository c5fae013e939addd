using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Loadstone.LoadLab;

/// <summary>The arguments ask for the help text rather than a run.</summary>
internal sealed class LabHelpRequestedException : Exception
{
    public LabHelpRequestedException()
        : base("Help requested.")
    {
    }

    public LabHelpRequestedException(string message)
        : base(message)
    {
    }

    public LabHelpRequestedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The lab's command line (System.CommandLine): a scenario and the options bounding it.</summary>
internal static class LabCommandLine
{
    private static readonly string[] s_scenarios = ["homogeneous", "slow", "failure", "zones", "fleet", "outage", "slownode", "all"];

    private const string Description = """
        Loadstone performance lab. One command per scenario:
          homogeneous   10 equal backends: throughput and latency, Loadstone vs direct vs HAProxy/nginx/YARP
          slow          one backend of 10 at 10x latency: tail latency per strategy (and hedged) vs the proxies
          failure       one backend answering 503 and one killed mid-run, retries on: client errors, time to eject
          zones         client in zone a, backends in a and b: share of cross-zone requests per zone mode
          fleet         virtual-time simulation: 10,000 endpoints, 1M+ requests; snapshot rebuild time, memory
          outage        2 of 3 backends refuse connections within a second of a fresh client, 4 callers: failed requests
          slownode      11 backends at 5 ms, one at 100 ms for the middle third, callers time out at 50 ms: success
          all           every scenario in turn
        --short picks tiny defaults (3 backends, 4 workers, 600 ms per measurement, 500 simulated endpoints); options
        given explicitly still win.
        """;

    private static readonly Argument<string> s_scenario = new("scenario")
    {
        Description = "The scenario to run: " + string.Join(", ", s_scenarios),
        CustomParser = r => r.Tokens.Count == 1 ? r.Tokens[0].Value.ToLowerInvariant() : "",
    };

    private static readonly Option<TimeSpan> s_duration = TimeOption("--duration", TimeSpan.FromSeconds(5),
        "Measured time per client kind per round (ms, s suffixes; a bare number is seconds)");

    private static readonly Option<TimeSpan> s_warmup = TimeOption("--warmup", TimeSpan.FromSeconds(1), "Unmeasured warm-up before each measurement");

    private static readonly Option<int> s_concurrency = IntOption("--concurrency", 32, 1, 4096, "Closed-loop workers");

    private static readonly Option<int> s_rounds = IntOption("--rounds", 5, 1, 100, "A/B interleaved rounds (kinds rotate their order each round)");

    private static readonly Option<int> s_backends = IntOption("--backends", 10, 2, 100, "Backend processes");

    private static readonly Option<int> s_maxRequests = IntOption("--max-requests", 2_000_000, 1, int.MaxValue, "Cap of requests per measurement");

    private static readonly Option<string?> s_kinds = new("--kinds")
    {
        Description = "Only these kinds, comma-separated (direct, p2c, peakewma, roundrobin, random, weightedroundrobin, "
            + "leastrequests, firstavailable, p2c+hedge, peakewma+hedge, haproxy, nginx, yarp)",
        HelpName = "a,b,..",
    };

    private static readonly Option<bool> s_noPeers = new("--no-peers") { Description = "Skip HAProxy, nginx and YARP" };

    private static readonly Option<int> s_endpoints = IntOption("--endpoints", 10_000, 2, 1_000_000, "fleet: simulated endpoints");

    private static readonly Option<int> s_requests = IntOption("--requests", 1_000_000, 1, int.MaxValue, "fleet: simulated requests per strategy");

    private static readonly Option<int> s_seed = IntOption("--seed", 42, 0, int.MaxValue, "fleet: random seed");

    private static readonly Option<string?> s_out = new("--out")
    {
        Description = "Where CSV/JSON/plot data go [bench/results; a temp folder with --short]",
        HelpName = "DIR",
    };

    private static readonly Option<bool> s_short = new("--short") { Description = "Seconds-long smoke run with tiny counts" };

    private static readonly RootCommand s_root = CreateRoot();

    public static LabOptions Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var result = s_root.Parse(args);
        if (result.Action is HelpAction)
        {
            throw new LabHelpRequestedException();
        }

        if (result.Errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, result.Errors.Select(e => e.Message)));
        }

        var o = new LabOptions
        {
            Command = result.GetValue(s_scenario)!,
            Short = result.GetValue(s_short),
            NoPeers = result.GetValue(s_noPeers),
            Duration = result.GetValue(s_duration),
            Warmup = result.GetValue(s_warmup),
            Concurrency = result.GetValue(s_concurrency),
            Rounds = result.GetValue(s_rounds),
            Backends = result.GetValue(s_backends),
            MaxRequests = result.GetValue(s_maxRequests),
            Endpoints = result.GetValue(s_endpoints),
            Requests = result.GetValue(s_requests),
            Seed = result.GetValue(s_seed),
            Out = result.GetValue(s_out),
        };
        if (result.GetValue(s_kinds) is { } kinds)
        {
            o.Kinds = new HashSet<string>(kinds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase);
        }

        if (o.Short)
        {
            // Tiny defaults, each still overridable.
            bool Given(Option option) => result.GetResult(option) is { Implicit: false };
            if (!Given(s_duration)) o.Duration = TimeSpan.FromMilliseconds(600);
            if (!Given(s_warmup)) o.Warmup = TimeSpan.FromMilliseconds(200);
            if (!Given(s_concurrency)) o.Concurrency = 4;
            if (!Given(s_rounds)) o.Rounds = 1;
            if (!Given(s_backends)) o.Backends = 3;
            if (!Given(s_maxRequests)) o.MaxRequests = 5_000;
            if (!Given(s_endpoints)) o.Endpoints = 500;
            if (!Given(s_requests)) o.Requests = 20_000;
        }

        return o;
    }

    public static void WriteUsage(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        s_root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = output });
    }

    private static RootCommand CreateRoot()
    {
        s_scenario.Validators.Add(r =>
        {
            var value = r.GetValueOrDefault<string>();
            if (!s_scenarios.Contains(value, StringComparer.Ordinal))
            {
                r.AddError($"Unknown scenario '{r.Tokens.FirstOrDefault()?.Value}'; give one of {string.Join(", ", s_scenarios)}.");
            }
        });
        var root = new RootCommand(Description) { s_scenario };
        foreach (var option in new Option[]
        {
            s_duration, s_warmup, s_concurrency, s_rounds, s_backends, s_maxRequests, s_kinds, s_noPeers, s_endpoints, s_requests, s_seed, s_out, s_short,
        })
        {
            root.Add(option);
        }

        return root;
    }

    private static Option<TimeSpan> TimeOption(string name, TimeSpan defaultValue, string description) => new(name)
    {
        Description = description,
        HelpName = "time",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r =>
        {
            var value = r.Tokens[0].Value;
            var isMs = value.EndsWith("ms", StringComparison.OrdinalIgnoreCase);
            var number = isMs ? value[..^2] : value.EndsWith('s') ? value[..^1] : value;
            var factor = isMs ? 1 : 1000;
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < 0 || n * factor > 3_600_000)
            {
                r.AddError($"{name} is '{value}'; give a time such as 500ms or 10s (at most 1 h).");
                return default;
            }

            return TimeSpan.FromMilliseconds(n * factor);
        },
    };

    private static Option<int> IntOption(string name, int defaultValue, int min, int max, string description) => new(name)
    {
        Description = description,
        HelpName = "n",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r =>
        {
            var value = r.Tokens[0].Value;
            if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
            {
                return n;
            }

            r.AddError($"{name} is '{value}'; give a whole number from {min} to {max}.");
            return default;
        },
    };
}
