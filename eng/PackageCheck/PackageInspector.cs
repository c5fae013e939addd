using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace PackageCheck;

/// <summary>One .nupkg read into memory: its nuspec and its entries.</summary>
internal sealed class Package
{
    public required string Path { get; init; }
    public required string Id { get; init; }
    public required string Version { get; init; }
    public required XElement? Metadata { get; init; }
    public required IReadOnlyDictionary<string, byte[]> Entries { get; init; }
    public required IReadOnlyList<string> ReadProblems { get; init; }

    public string? Text(string element) => Metadata?.Elements().FirstOrDefault(e => e.Name.LocalName == element)?.Value;

    public XElement? Element(string element) => Metadata?.Elements().FirstOrDefault(e => e.Name.LocalName == element);

    /// <summary>The assemblies under lib/, as entry names (lib/net10.0/Loadstone.dll).</summary>
    public IEnumerable<string> LibAssemblies => Entries.Keys
        .Where(k => k.StartsWith("lib/", StringComparison.Ordinal) && k.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        .Order(StringComparer.Ordinal);
}

/// <summary>Checks of the .nupkg itself: metadata, README, XML docs, dependencies.</summary>
internal static partial class PackageInspector
{
    // Packages that build, test or benchmark code; a library package must never depend on one of them.
    private static readonly string[] s_deniedDependencyPrefixes =
    [
        "xunit", "Microsoft.NET.Test.Sdk", "MSTest", "NUnit", "coverlet", "Microsoft.Testing.", "BenchmarkDotNet",
        "Moq", "NSubstitute", "FakeItEasy", "FluentAssertions", "Microsoft.SourceLink.", "Microsoft.Build.Tasks.Git",
        "Microsoft.CodeAnalysis.PublicApiAnalyzers", "Microsoft.CodeAnalysis.NetAnalyzers", "Microsoft.DotNet.ApiCompat",
        "StyleCop.", "Stryker",
    ];

    // This repository's projects that are not packages (tests, benchmarks, samples, tools).
    [GeneratedRegex(@"(^|\.)(Tests?|TestBackend|Benchmarks?|LoadLab|LoadBackend|ScalingSim|Demo|Dashboard|PackageCheck)$")]
    private static partial Regex NonPackageProject();

    // A Markdown link or image, or an HTML src/href, whose target is not absolute (http/https/mailto) nor an anchor.
    [GeneratedRegex(@"\]\((?!https?://|mailto:|#)([^)\s]+)[^)]*\)|(?:src|href)\s*=\s*""(?!https?://|#)([^""]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex RelativeLink();

    public static Package Read(string path)
    {
        var problems = new List<string>();
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        XElement? metadata = null;
        try
        {
            using var zip = ZipFile.OpenRead(path);
            foreach (var entry in zip.Entries)
            {
                using var stream = entry.Open();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                entries[entry.FullName] = copy.ToArray();
            }

            var nuspecs = entries.Keys.Where(k => !k.Contains('/', StringComparison.Ordinal) && k.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase)).ToList();
            if (nuspecs.Count != 1)
            {
                problems.Add($"expected one .nuspec at the root, found {nuspecs.Count}");
            }
            else
            {
                using var nuspec = new MemoryStream(entries[nuspecs[0]]);
                metadata = XDocument.Load(nuspec).Root?.Elements().FirstOrDefault(e => e.Name.LocalName == "metadata");
                if (metadata is null)
                {
                    problems.Add("the nuspec has no <metadata>");
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or System.Xml.XmlException)
        {
            problems.Add($"cannot be read: {e.Message}");
        }

        string Meta(string name) => metadata?.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
        return new Package
        {
            Path = path,
            Id = metadata is null ? System.IO.Path.GetFileNameWithoutExtension(path) : Meta("id"),
            Version = Meta("version"),
            Metadata = metadata,
            Entries = entries,
            ReadProblems = problems,
        };
    }

    public static void Check(Package package, CheckOptions options, IReadOnlyList<Package> all, List<string> problems, List<string> summary)
    {
        CheckMetadata(package, options, problems, summary);
        CheckReadme(package, problems, summary);
        CheckAssemblies(package, problems, summary);
        CheckDependencies(package, all, problems, summary);
    }

    private static void CheckMetadata(Package package, CheckOptions options, List<string> problems, List<string> summary)
    {
        var expectedFile = $"{package.Id}.{package.Version}.nupkg";
        if (!string.Equals(System.IO.Path.GetFileName(package.Path), expectedFile, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"file name {System.IO.Path.GetFileName(package.Path)} does not match id and version ({expectedFile})");
        }

        foreach (var name in new[] { "id", "version", "authors", "description", "tags", "copyright" })
        {
            if (string.IsNullOrWhiteSpace(package.Text(name)))
            {
                problems.Add($"nuspec <{name}> is missing or empty");
            }
        }

        if (package.Text("description") is { Length: > 0 and < 40 } description)
        {
            problems.Add($"nuspec <description> is too short to tell what the package is for: '{description}'");
        }

        var license = package.Element("license");
        if (license is null || string.IsNullOrWhiteSpace(license.Value))
        {
            problems.Add("nuspec <license> is missing (PackageLicenseExpression or PackageLicenseFile)");
        }
        else if ((string?)license.Attribute("type") == "file" && !package.Entries.ContainsKey(license.Value))
        {
            problems.Add($"the license file {license.Value} is not in the package");
        }

        var repository = package.Element("repository");
        var repositoryUrl = (string?)repository?.Attribute("url");
        var projectUrl = package.Text("projectUrl");
        if (options.RepositoryUrl is { } expectedUrl)
        {
            if (!string.Equals(repositoryUrl?.TrimEnd('/'), expectedUrl.TrimEnd('/'), StringComparison.Ordinal))
            {
                problems.Add($"nuspec <repository url> is '{repositoryUrl}', expected '{expectedUrl}'");
            }

            if (!string.Equals(projectUrl?.TrimEnd('/'), expectedUrl.TrimEnd('/'), StringComparison.Ordinal))
            {
                problems.Add($"nuspec <projectUrl> is '{projectUrl}', expected '{expectedUrl}'");
            }
        }
        else if (repositoryUrl is not null || projectUrl is not null)
        {
            problems.Add($"the build knows no repository URL, yet the nuspec has one ('{repositoryUrl ?? projectUrl}')");
        }

        foreach (var url in new[] { repositoryUrl, projectUrl })
        {
            if (url is not null && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && string.IsNullOrEmpty(uri.UserInfo)))
            {
                problems.Add($"'{url}' is not an https URL without credentials");
            }
        }

        if (options.Commit is { } commit)
        {
            var recorded = (string?)repository?.Attribute("commit");
            if (!string.Equals(recorded, commit, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"nuspec <repository commit> is '{recorded}', expected '{commit}'");
            }
        }

        summary.Add(repositoryUrl is null ? "no repository URL (none known)" : $"repository {repositoryUrl}");
    }

    private static void CheckReadme(Package package, List<string> problems, List<string> summary)
    {
        var readme = package.Text("readme");
        if (string.IsNullOrWhiteSpace(readme))
        {
            problems.Add("nuspec <readme> is missing (PackageReadmeFile)");
            return;
        }

        if (!package.Entries.TryGetValue(readme.Replace('\\', '/'), out var bytes) || bytes.Length == 0)
        {
            problems.Add($"the README {readme} is not in the package or is empty");
            return;
        }

        var text = System.Text.Encoding.UTF8.GetString(bytes);
        var relative = RelativeLink().Matches(text).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).Distinct().ToList();
        if (relative.Count > 0)
        {
            problems.Add($"the README has {relative.Count} distinct relative link(s), which break on a package page: {string.Join(", ", relative.Take(5))}");
        }

        if (!text.Contains(package.Id, StringComparison.Ordinal))
        {
            problems.Add($"the README never names the package ({package.Id})");
        }

        summary.Add($"README {bytes.Length / 1024.0:0.0} kB");
    }

    private static void CheckAssemblies(Package package, List<string> problems, List<string> summary)
    {
        var assemblies = package.LibAssemblies.ToList();
        if (assemblies.Count == 0)
        {
            problems.Add("no assembly under lib/");
            return;
        }

        var ownPrefix = package.Id.Split('.')[0];
        var members = 0;
        foreach (var dll in assemblies)
        {
            var name = System.IO.Path.GetFileNameWithoutExtension(dll);
            if (!name.StartsWith(ownPrefix, StringComparison.Ordinal))
            {
                problems.Add($"{dll} is not one of this repository's assemblies (copied dependency?)");
            }

            var xml = dll[..^4] + ".xml";
            if (!package.Entries.TryGetValue(xml, out var docBytes))
            {
                problems.Add($"{dll} has no XML documentation ({xml}); set GenerateDocumentationFile");
                continue;
            }

            using var stream = new MemoryStream(docBytes);
            var doc = XDocument.Load(stream).Root;
            var documented = doc?.Element("assembly")?.Element("name")?.Value;
            var count = doc?.Element("members")?.Elements("member").Count() ?? 0;
            if (doc?.Name != "doc" || documented != name || count == 0)
            {
                problems.Add($"{xml} is not the XML documentation of {name} (assembly '{documented}', {count} members)");
            }

            members += count;
        }

        summary.Add($"{assemblies.Count} assembly(ies) with XML docs ({members} members)");
    }

    private static void CheckDependencies(Package package, IReadOnlyList<Package> all, List<string> problems, List<string> summary)
    {
        var groups = package.Element("dependencies")?.Elements().Where(e => e.Name.LocalName == "group").ToList() ?? [];
        var frameworks = package.LibAssemblies.Select(a => a.Split('/')[1]).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var count = 0;
        foreach (var framework in frameworks)
        {
            if (!groups.Any(g => string.Equals(TargetFrameworkFolder((string?)g.Attribute("targetFramework")), framework, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add($"no dependency group for {framework} (lib/{framework})");
            }
        }

        foreach (var dependency in groups.SelectMany(g => g.Elements().Where(e => e.Name.LocalName == "dependency")))
        {
            count++;
            var id = (string?)dependency.Attribute("id") ?? "";
            var version = (string?)dependency.Attribute("version") ?? "";
            if (s_deniedDependencyPrefixes.Any(p => id.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add($"depends on {id} {version}, a build/test/benchmark package (PrivateAssets=\"all\" or remove it)");
            }

            if (NonPackageProject().IsMatch(id))
            {
                problems.Add($"depends on {id}, which is a test, benchmark, sample or tool project, not a package");
            }
            else if (id.StartsWith(package.Id.Split('.')[0], StringComparison.Ordinal))
            {
                var sibling = all.FirstOrDefault(p => string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase));
                if (sibling is null)
                {
                    problems.Add($"depends on {id}, which was not packed with it (a project that is not a package?)");
                }
                else if (version.Trim('[', ']') != sibling.Version)
                {
                    problems.Add($"depends on {id} {version}, but this build packed {id} {sibling.Version}");
                }
            }

            if (string.IsNullOrWhiteSpace(version))
            {
                problems.Add($"depends on {id} without a version");
            }
        }

        summary.Add($"{count} dependencies");
    }

    // The nuspec says "net10.0"; older tools wrote ".NETCoreApp10.0". Both name the lib/net10.0 folder.
    private static string? TargetFrameworkFolder(string? framework) =>
        framework is not null && framework.StartsWith(".NETCoreApp", StringComparison.OrdinalIgnoreCase)
            ? "net" + framework[".NETCoreApp".Length..]
            : framework;
}
