// Checks the packages in a folder: nuspec metadata, the package README, XML docs for every assembly, dependencies,
// and the symbols package (portable PDBs matching the assemblies, with SourceLink or embedded sources).
//
//   PackageCheck <folder> --expect <PackageId> [--expect <PackageId> ...]
//                [--repository-url <url>] [--commit <sha>] [--sourcelink] [--deterministic-paths]
//
// Exits 0 when every expected package is present and passes, 1 otherwise (each problem printed), 2 on bad usage.
using PackageCheck;

var options = CheckOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(CheckOptions.Usage);
    return 2;
}

var problems = 0;
var packages = Directory.GetFiles(options.Folder, "*.nupkg")
    .Where(p => !p.EndsWith(".symbols.nupkg", StringComparison.OrdinalIgnoreCase))
    .Order(StringComparer.Ordinal)
    .ToList();
var inspected = packages.Select(p => PackageInspector.Read(p)).ToList();

foreach (var expected in options.ExpectedIds)
{
    if (!inspected.Any(p => string.Equals(p.Id, expected, StringComparison.OrdinalIgnoreCase)))
    {
        Console.WriteLine($"{expected}: no package in {options.Folder}");
        problems++;
    }
}

foreach (var package in inspected)
{
    var found = new List<string>(package.ReadProblems);
    var summary = new List<string>();
    if (found.Count == 0)
    {
        PackageInspector.Check(package, options, inspected, found, summary);
        SymbolInspector.Check(package, options, found, summary);
    }

    if (found.Count == 0)
    {
        Console.WriteLine($"{package.Id} {package.Version}: ok ({string.Join("; ", summary)})");
    }
    else
    {
        Console.WriteLine($"{package.Id} {package.Version}: {found.Count} problem(s)");
        foreach (var problem in found)
        {
            Console.WriteLine($"  - {problem}");
        }

        problems += found.Count;
    }
}

if (inspected.Count == 0)
{
    Console.WriteLine($"No package in {options.Folder}.");
    problems++;
}

Console.WriteLine(problems == 0 ? "Package check passed." : $"Package check failed: {problems} problem(s).");
return problems == 0 ? 0 : 1;
