using System.Reflection;

namespace Loadstone.Tests.Readme;

/// <summary>
/// No public type of the package is named like a type an app has in scope through the web SDK's implicit usings and the
/// Microsoft.Extensions namespaces it works with (a clash is CS0104 in the app's own code, as <c>Endpoint</c> was).
/// </summary>
public sealed class PublicNameTests
{
    private static readonly string[] NamespacesInScope =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Net.Http.Json",
        "System.Threading", "System.Threading.Tasks", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
        "Microsoft.Extensions.Options", "Microsoft.Extensions.Diagnostics.HealthChecks", "Microsoft.AspNetCore.Diagnostics.HealthChecks",
        "Microsoft.Extensions.Http", "System.Diagnostics", "System.Diagnostics.Metrics",
    ];

    [Fact]
    public void PublicTypes_OfThePackage_NoneNamedLikeATypeInScopeOfAWebApp()
    {
        var inScope = FrameworkTypes()
            .Where(t => t.IsPublic && t.Namespace is { } ns && NamespacesInScope.Contains(ns))
            .GroupBy(t => SimpleName(t))
            .ToDictionary(g => g.Key, g => g.First().FullName);

        var clashes = typeof(ServicePool).Assembly.GetExportedTypes()
            .Where(t => t.DeclaringType is null && inScope.ContainsKey(SimpleName(t)))
            .Select(t => $"{t.FullName} clashes with {inScope[SimpleName(t)]}")
            .ToArray();

        Assert.Empty(clashes);
    }

    [Fact]
    public void FrameworkTypes_TheCheckSeesAspNetCore()
    {
        // The check is only as good as what it compares against.
        Assert.Contains(FrameworkTypes(), t => t.FullName == "Microsoft.AspNetCore.Http.Endpoint");
        Assert.Contains(FrameworkTypes(), t => t.FullName == "Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions");
    }

    private static string SimpleName(Type type) => type.Name.Split('`')[0];

    private static IEnumerable<Type> FrameworkTypes()
    {
        var paths = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty).Split(Path.PathSeparator);
        foreach (var path in paths)
        {
            var file = Path.GetFileName(path);
            if (!file.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal) && !file.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal)
                && !file.StartsWith("System.", StringComparison.Ordinal))
            {
                continue;
            }

            Type[] types;
            try
            {
                types = Assembly.LoadFrom(path).GetExportedTypes();
            }
            catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or FileNotFoundException or ReflectionTypeLoadException or NotSupportedException)
            {
                continue; // reference-only or native images
            }

            foreach (var type in types)
            {
                yield return type;
            }
        }
    }
}
