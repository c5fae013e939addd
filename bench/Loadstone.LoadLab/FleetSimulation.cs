namespace Loadstone.LoadLab;

/// <summary>Placeholder, replaced below.</summary>
public static class FleetSimulation
{
    public static void Run(LabOptions o, string outDir, TextWriter output) => output.WriteLine("fleet: not yet");
}
