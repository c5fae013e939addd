namespace Loadstone.LoadLab;

/// <summary>The lab's command line: a scenario and its bounds.</summary>
internal sealed class LabOptions
{
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

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with every problem found.</summary>
    /// <exception cref="LabHelpRequestedException">The arguments ask for help (-h, --help, -?).</exception>
    public static LabOptions Parse(string[] args) => LabCommandLine.Parse(args);

    /// <summary>Writes the generated help: the scenarios, the options and their defaults.</summary>
    public static void WriteUsage(TextWriter output) => LabCommandLine.WriteUsage(output);
}
