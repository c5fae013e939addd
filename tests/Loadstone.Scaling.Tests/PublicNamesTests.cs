using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Loadstone.Scaling.Tests;

/// <summary>
/// No public type of the package has the simple name of a type an application has in scope: the namespaces the Web
/// SDK's implicit usings import (ASP.NET Core, Microsoft.Extensions.*), and Cronos, which the package depends on.
/// </summary>
public sealed class PublicNamesTests
{
    private static readonly HashSet<string> s_appNamespaces =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Net.Http.Json",
        "System.Threading", "System.Threading.Tasks", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
        "Microsoft.Extensions.Options", "System.Diagnostics.Metrics", "Cronos",
    ];

    [Fact]
    public void PublicTypes_NoNameClashesWithTypesAnAppHasInScope()
    {
        var framework = Path.GetDirectoryName(typeof(Microsoft.AspNetCore.Builder.WebApplication).Assembly.Location)!;
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var assemblies = Directory.GetFiles(framework, "*.dll").Concat(Directory.GetFiles(runtime, "*.dll"))
            .Append(typeof(Cronos.CronExpression).Assembly.Location)
            .Distinct();
        var inScope = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in assemblies)
        {
            inScope.UnionWith(PublicTypeNames(path));
        }

        Assert.Contains("CronExpression", inScope); // the check sees Cronos
        Assert.Contains("Endpoint", inScope); // and ASP.NET Core
        var ours = typeof(ScalingGroup).Assembly.GetExportedTypes().Select(t => SimpleName(t.Name)).ToList();
        Assert.Contains("ScalingGroup", ours);
        Assert.DoesNotContain(ours, inScope.Contains);
    }

    /// <summary>The simple names of the public top-level types of an assembly in the app's namespaces, read from its metadata.</summary>
    private static IEnumerable<string> PublicTypeNames(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata)
        {
            return [];
        }

        var metadata = pe.GetMetadataReader();
        var names = new List<string>();
        foreach (var handle in metadata.TypeDefinitions)
        {
            var type = metadata.GetTypeDefinition(handle);
            if ((type.Attributes & TypeAttributes.VisibilityMask) == TypeAttributes.Public
                && s_appNamespaces.Contains(metadata.GetString(type.Namespace)))
            {
                names.Add(SimpleName(metadata.GetString(type.Name)));
            }
        }

        return names;
    }

    private static string SimpleName(string name) => name.Split('`')[0];
}
