using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;

namespace PackageCheck;

/// <summary>
/// Checks of the symbols package (.snupkg beside the .nupkg): a portable PDB for every assembly, matching it, whose
/// every source document is either embedded or mapped to a URL by SourceLink.
/// </summary>
internal static class SymbolInspector
{
    private static readonly Guid s_embeddedSource = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");
    private static readonly Guid s_sourceLink = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    public static void Check(Package package, CheckOptions options, List<string> problems, List<string> summary)
    {
        var snupkg = Path.ChangeExtension(package.Path, ".snupkg");
        if (!File.Exists(snupkg))
        {
            problems.Add($"no symbols package {Path.GetFileName(snupkg)} (IncludeSymbols, SymbolPackageFormat snupkg)");
            return;
        }

        var symbols = PackageInspector.Read(snupkg);
        problems.AddRange(symbols.ReadProblems.Select(p => $"{Path.GetFileName(snupkg)}: {p}"));
        int documents = 0, embedded = 0, linked = 0;
        foreach (var dll in package.LibAssemblies)
        {
            var pdbName = dll[..^4] + ".pdb";
            if (!symbols.Entries.TryGetValue(pdbName, out var pdb))
            {
                problems.Add($"{Path.GetFileName(snupkg)} has no {pdbName}");
                continue;
            }

            if (package.Entries.ContainsKey(pdbName))
            {
                problems.Add($"{pdbName} is in the .nupkg as well as in the .snupkg");
            }

            CheckAssembly(dll, package.Entries[dll], pdb, options, problems, ref documents, ref embedded, ref linked);
        }

        summary.Add($"symbols: {documents} source documents, {embedded} embedded, {linked} by SourceLink");
    }

    private static void CheckAssembly(string dll, byte[] image, byte[] pdb, CheckOptions options, List<string> problems,
        ref int documents, ref int embeddedCount, ref int linkedCount)
    {
        using var pe = new PEReader(ImmutableArray.Create(image));
        var debug = pe.ReadDebugDirectory();
        if (!debug.Any(e => e.Type == DebugDirectoryEntryType.Reproducible))
        {
            problems.Add($"{dll} was not built deterministically (no Reproducible debug entry)");
        }

        var codeView = debug.FirstOrDefault(e => e.Type == DebugDirectoryEntryType.CodeView);
        if (codeView.Type != DebugDirectoryEntryType.CodeView || !codeView.IsPortableCodeView)
        {
            problems.Add($"{dll} does not point to a portable PDB");
            return;
        }

        MetadataReaderProvider provider;
        try
        {
            provider = MetadataReaderProvider.FromPortablePdbImage(ImmutableArray.Create(pdb));
        }
        catch (BadImageFormatException e)
        {
            problems.Add($"the PDB of {dll} is not a portable PDB: {e.Message}");
            return;
        }

        using (provider)
        {
            var reader = provider.GetMetadataReader();
            var pdbId = new BlobContentId(reader.DebugMetadataHeader!.Id);
            var expected = pe.ReadCodeViewDebugDirectoryData(codeView);
            if (pdbId.Guid != expected.Guid || pdbId.Stamp != codeView.Stamp)
            {
                problems.Add($"the PDB of {dll} belongs to another build (id {pdbId.Guid}, the assembly expects {expected.Guid})");
            }

            var map = ReadSourceLink(reader, dll, problems);
            if (options.SourceLink && map is null)
            {
                problems.Add($"the PDB of {dll} has no SourceLink map (the origin remote is on GitHub, so it should)");
            }

            var unreachable = new List<string>();
            var machinePaths = new List<string>();
            foreach (var handle in reader.Documents)
            {
                var name = reader.GetString(reader.GetDocument(handle).Name);
                documents++;
                var isEmbedded = reader.GetCustomDebugInformation(handle)
                    .Any(h => reader.GetGuid(reader.GetCustomDebugInformation(h).Kind) == s_embeddedSource);
                var url = map is null || isEmbedded ? null : MapDocument(map, name);
                if (isEmbedded)
                {
                    embeddedCount++;
                }
                else if (url is not null)
                {
                    linkedCount++;
                    if (options.Commit is { } commit && !url.Contains(commit, StringComparison.OrdinalIgnoreCase))
                    {
                        problems.Add($"SourceLink maps {name} to {url}, not at commit {commit}");
                    }
                }
                else
                {
                    unreachable.Add(name);
                }

                if (options.DeterministicPaths && !name.StartsWith("/_", StringComparison.Ordinal))
                {
                    machinePaths.Add(name);
                }
            }

            if (unreachable.Count > 0)
            {
                problems.Add($"the PDB of {dll} neither embeds nor links {unreachable.Count} source file(s), so a debugger cannot show them: {Examples(unreachable)}");
            }

            if (machinePaths.Count > 0)
            {
                problems.Add($"the PDB of {dll} keeps {machinePaths.Count} build-machine path(s) (ContinuousIntegrationBuild not set?): {Examples(machinePaths)}");
            }
        }
    }

    private static string Examples(List<string> items) =>
        string.Join(", ", items.Take(3)) + (items.Count > 3 ? ", ..." : "");

    private static List<KeyValuePair<string, string>>? ReadSourceLink(MetadataReader reader, string dll, List<string> problems)
    {
        foreach (var h in reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition))
        {
            var info = reader.GetCustomDebugInformation(h);
            if (reader.GetGuid(info.Kind) != s_sourceLink)
            {
                continue;
            }

            try
            {
                using var json = JsonDocument.Parse(reader.GetBlobBytes(info.Value));
                var map = json.RootElement.GetProperty("documents").EnumerateObject()
                    .Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetString() ?? ""))
                    .ToList();
                foreach (var (_, url) in map)
                {
                    if (!url.StartsWith("https://", StringComparison.Ordinal))
                    {
                        problems.Add($"the SourceLink map of {dll} points to '{url}', not an https URL");
                    }
                }

                return map.Count == 0 ? null : map;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                problems.Add($"the SourceLink map of {dll} is not valid: {e.Message}");
                return null;
            }
        }

        return null;
    }

    // SourceLink's rule: a key ending in * maps every path with that prefix, the rest of the path replacing the *.
    private static string? MapDocument(List<KeyValuePair<string, string>> map, string path)
    {
        foreach (var (key, url) in map)
        {
            if (key.EndsWith('*') && path.StartsWith(key[..^1], StringComparison.Ordinal))
            {
                return url.Replace("*", path[(key.Length - 1)..].Replace('\\', '/'), StringComparison.Ordinal);
            }

            if (key == path)
            {
                return url;
            }
        }

        return null;
    }
}
