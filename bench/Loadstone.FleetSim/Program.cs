using System.Globalization;

namespace Loadstone.FleetSim;

/// <summary>Options of a run; every scenario reads the ones it needs.</summary>
internal sealed record SimOptions
{
    public int Clients { get; init; } = 1000;

    public int Endpoints { get; init; } = 10_000;

    public int SubsetSize { get; init; } = 50;

    public long Requests { get; init; } = 2_000_000;

    public double Utilization { get; init; } = 0.7;

    public string Strategy { get; init; } = LoadBalancingStrategies.PowerOfTwoChoices;

    public int Seed { get; init; } = 1;

    public int Seeds { get; init; } = 20;

    public int Keys { get; init; } = 1_000_000;

    public string OutputDirectory { get; init; } = Path.Combine("bench", "results", "fleet-sim");
}

/// <summary>
/// The fleet simulator. One command per scenario, e.g.
/// <c>dotnet run -c Release --project bench/Loadstone.FleetSim -- fleet --clients 1000 --endpoints 10000 --subset 50</c>.
/// Scenarios: <c>supermarket</c>, <c>sre-random</c> (validation against published numbers), <c>fleet</c> (subsetting:
/// connections, request load and latency with real pools), <c>churn</c> (connections moved when 1 % of endpoints or
/// clients change), <c>maglev</c> (consistent-hashing disruption, rebuild time and memory). Results go to
/// bench/results/fleet-sim/ (<c>--out</c>). The exit code is the number of published figures missed.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: Loadstone.FleetSim <supermarket|sre-random|fleet|churn|maglev> [--clients C] [--endpoints N] [--subset S] [--requests R] [--utilization U] [--strategy name] [--seed n] [--seeds n] [--keys n] [--out dir]");
            return 2;
        }

        var o = Parse(args.AsSpan(1));
        Console.WriteLine($"== fleet simulator: {args[0]} (load average {Output.LoadAverage()}) ==");
        return args[0] switch
        {
            "supermarket" => Supermarket.Run(o with { Endpoints = Given(args, "--endpoints") ? o.Endpoints : 1000, Requests = Given(args, "--requests") ? o.Requests : 30_000_000 }, Console.Out),
            "sre-random" => SreRandomSpread.Run(o with { Clients = Given(args, "--clients") ? o.Clients : 300, Endpoints = Given(args, "--endpoints") ? o.Endpoints : 300, SubsetSize = Given(args, "--subset") ? o.SubsetSize : 90 }, Console.Out),
            "fleet" => FleetRun.Run(o, Console.Out),
            "churn" => ChurnRun.Run(o, Console.Out),
            "maglev" => MaglevFigures.Run(o, Console.Out),
            _ => Unknown(args[0]),
        };
    }

    private static int Unknown(string scenario)
    {
        Console.Error.WriteLine($"unknown scenario '{scenario}'");
        return 2;
    }

    private static bool Given(string[] args, string name) => args.Contains(name, StringComparer.Ordinal);

    internal static SimOptions Parse(ReadOnlySpan<string> args)
    {
        var o = new SimOptions();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            o = args[i] switch
            {
                "--clients" => o with { Clients = int.Parse(value, CultureInfo.InvariantCulture) },
                "--endpoints" => o with { Endpoints = int.Parse(value, CultureInfo.InvariantCulture) },
                "--subset" => o with { SubsetSize = int.Parse(value, CultureInfo.InvariantCulture) },
                "--requests" => o with { Requests = long.Parse(value, CultureInfo.InvariantCulture) },
                "--utilization" => o with { Utilization = double.Parse(value, CultureInfo.InvariantCulture) },
                "--strategy" => o with { Strategy = value },
                "--seed" => o with { Seed = int.Parse(value, CultureInfo.InvariantCulture) },
                "--seeds" => o with { Seeds = int.Parse(value, CultureInfo.InvariantCulture) },
                "--keys" => o with { Keys = int.Parse(value, CultureInfo.InvariantCulture) },
                "--out" => o with { OutputDirectory = value },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }

        return o;
    }
}
