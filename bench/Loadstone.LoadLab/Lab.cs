using System.Diagnostics;
using System.Globalization;

namespace Loadstone.LoadLab;

/// <summary>The lab's entry point: parses the command line and runs a scenario.</summary>
internal static class Lab
{
    /// <summary>Runs the lab; returns the process exit code (0 on success, 2 on a usage error, 1 on a failure).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        LabOptions options;
        try
        {
            options = LabOptions.Parse(args);
        }
        catch (LabHelpRequestedException)
        {
            LabOptions.WriteUsage(output);
            return 0;
        }
        catch (ArgumentException ex)
        {
            output.WriteLine(ex.Message);
            LabOptions.WriteUsage(output);
            return 2;
        }

        var outDir = options.Out ?? (options.Short
            ? Path.Combine(Path.GetTempPath(), "loadstone-loadlab-short")
            : Path.Combine(Paths.RepositoryRoot(), "bench", "results"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Loadstone performance lab: {options.Command}{(options.Short ? " (short)" : "")}; {Environment.ProcessorCount} CPUs; load average {Report.LoadAverage()}"));
        try
        {
            string[] commands = options.Command == "all" ? ["homogeneous", "slow", "failure", "zones", "fleet", "outage", "slownode"] : [options.Command];
            foreach (var command in commands)
            {
                var started = Stopwatch.GetTimestamp();
                switch (command)
                {
                    case "homogeneous": await Scenarios.HomogeneousAsync(options, outDir, output, cancellationToken).ConfigureAwait(false); break;
                    case "slow": await Scenarios.SlowAsync(options, outDir, output, cancellationToken).ConfigureAwait(false); break;
                    case "failure": await Scenarios.FailureAsync(options, outDir, output, cancellationToken).ConfigureAwait(false); break;
                    case "zones": await Scenarios.ZonesAsync(options, outDir, output, cancellationToken).ConfigureAwait(false); break;
                    case "fleet": FleetSimulation.Run(options, outDir, output); break;
                    case "outage": await Scenarios.OutageAsync(options, outDir, output, cancellationToken).ConfigureAwait(false); break;
                    case "slownode": await Scenarios.SlowNodeAsync(options, outDir, output, cancellationToken).ConfigureAwait(false); break;
                    default:
                        output.WriteLine($"Unknown scenario '{command}'.");
                        LabOptions.WriteUsage(output);
                        return 2;
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{command} done in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s; load average {Report.LoadAverage()}"));
            }

            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.WriteLine("Cancelled.");
            return 130;
        }
        catch (Exception ex)
        {
            output.WriteLine($"The lab failed: {ex}");
            return 1;
        }
        finally
        {
            ChildProcesses.KillAll();
        }
    }
}
