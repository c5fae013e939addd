using System.Text.RegularExpressions;

namespace Loadstone.Tests.Readme;

/// <summary>
/// The source layout the project keeps: every file under src/ below 400 lines, and each public type in a file named
/// after it, so a type is found by its name.
/// </summary>
public sealed partial class SourceLayoutTests
{
    private const int MaxLines = 400;

    [Fact]
    public void SourceFiles_AreShorterThanTheLimit()
    {
        var tooLong = SourceFiles()
            .Select(f => (File: f, Lines: File.ReadAllLines(f).Length))
            .Where(f => f.Lines >= MaxLines)
            .Select(f => $"{Relative(f.File)}: {f.Lines} lines")
            .ToList();

        Assert.True(tooLong.Count == 0, "Files at or over " + MaxLines + " lines:\n" + string.Join("\n", tooLong));
    }

    [Fact]
    public void PublicTopLevelTypes_LiveInFilesNamedAfterThem()
    {
        var hidden = new List<string>();
        foreach (var file in SourceFiles())
        {
            // "ServicePool.Reload.cs" holds part of ServicePool.
            var owner = Path.GetFileNameWithoutExtension(file).Split('.')[0];
            foreach (Match match in PublicTopLevelType().Matches(File.ReadAllText(file)))
            {
                if (match.Groups["name"].Value != owner)
                {
                    hidden.Add($"{Relative(file)}: public type {match.Groups["name"].Value}");
                }
            }
        }

        Assert.True(hidden.Count == 0, "Public types whose file is named after something else:\n" + string.Join("\n", hidden));
    }

    [Fact]
    public void TheChecks_SeeTheSources()
    {
        // Guards the two tests above against passing on an empty list (a moved folder, a wrong root).
        var files = SourceFiles().ToList();
        Assert.True(files.Count > 200, $"only {files.Count} source files found under {Path.Combine(RepoRoot, "src")}");
        Assert.Contains(files, f => f.EndsWith(Path.Combine("Pools", "ServicePool.cs"), StringComparison.Ordinal));
        Assert.Matches(PublicTopLevelType(), "public sealed partial class ServicePool : IDisposable");
        Assert.DoesNotMatch(PublicTopLevelType(), "    public sealed class Nested");
    }

    private static readonly string RepoRoot = FindRepoRoot();

    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(Path.Combine(RepoRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static string Relative(string file) => Path.GetRelativePath(RepoRoot, file);

    private static string FindRepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Library.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Library.sln not found above the test binaries.");
    }

    [GeneratedRegex(@"^public (?:(?:sealed|static|abstract|readonly|partial|unsafe) )*(?:record struct|record class|class|struct|record|enum|interface|delegate \S+) (?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex PublicTopLevelType();
}
