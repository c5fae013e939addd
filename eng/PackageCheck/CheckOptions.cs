namespace PackageCheck;

/// <summary>What the packages are checked against; see the usage text.</summary>
internal sealed class CheckOptions
{
    public const string Usage =
        "usage: PackageCheck <folder> --expect <PackageId> [--expect <PackageId> ...] [--repository-url <url>] " +
        "[--commit <sha>] [--sourcelink] [--deterministic-paths]";

    public required string Folder { get; init; }

    /// <summary>Package ids that must be in the folder (one per packable project).</summary>
    public required IReadOnlyList<string> ExpectedIds { get; init; }

    /// <summary>The URL the build computed (LoadstoneRepositoryUrl); null when none is known.</summary>
    public string? RepositoryUrl { get; init; }

    /// <summary>The commit the build recorded (SourceRevisionId); null when built outside git.</summary>
    public string? Commit { get; init; }

    /// <summary>The PDBs must carry a SourceLink map (origin on GitHub); otherwise every source is embedded.</summary>
    public bool SourceLink { get; init; }

    /// <summary>A CI build (ContinuousIntegrationBuild): every source path in the PDBs starts with /_/.</summary>
    public bool DeterministicPaths { get; init; }

    public static CheckOptions? Parse(string[] args)
    {
        string? folder = null, url = null, commit = null;
        bool sourceLink = false, deterministic = false;
        var expected = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--expect":
                    if (Next() is not { Length: > 0 } id)
                    {
                        return null;
                    }

                    expected.Add(id);
                    break;
                case "--repository-url":
                    url = Next();
                    break;
                case "--commit":
                    commit = Next();
                    break;
                case "--sourcelink":
                    sourceLink = true;
                    break;
                case "--deterministic-paths":
                    deterministic = true;
                    break;
                default:
                    if (folder is not null || args[i].StartsWith("--", StringComparison.Ordinal))
                    {
                        return null;
                    }

                    folder = args[i];
                    break;
            }
        }

        if (folder is null || !Directory.Exists(folder) || expected.Count == 0)
        {
            return null;
        }

        return new CheckOptions
        {
            Folder = folder,
            ExpectedIds = expected,
            RepositoryUrl = string.IsNullOrWhiteSpace(url) ? null : url,
            Commit = string.IsNullOrWhiteSpace(commit) ? null : commit,
            SourceLink = sourceLink,
            DeterministicPaths = deterministic,
        };
    }
}
