using System.Reflection;

namespace Loadstone.Tests.Configuration;

/// <summary>
/// Options are settings: every public property reachable from <see cref="LoadBalancingOptions"/> is of a kind the
/// configuration binder's source generator binds (its own diagnostics for this are off in the project, because the one
/// exception, <see cref="LoadBalancingOptions.Endpoints"/>, cannot be suppressed at the call site).
/// </summary>
public sealed class BindableSettingsTests
{
    [Theory]
    [InlineData(typeof(LoadBalancingOptions))]
    [InlineData(typeof(ConnectionBalancerOptions))]
    public void Options_EveryReachableProperty_IsASetting(Type root)
    {
        var problems = new List<string>();
        Walk(root, root.Name, problems, []);

        Assert.Empty(problems);
    }

    private static void Walk(Type type, string path, List<string> problems, HashSet<Type> seen)
    {
        if (!seen.Add(type))
        {
            return;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var where = $"{path}.{property.Name}";
            if (where == "LoadBalancingOptions.Endpoints" || property.GetIndexParameters().Length > 0)
            {
                continue; // read by hand from configuration (a URI string or an object per endpoint)
            }

            var kind = property.PropertyType;
            if (IsScalar(kind))
            {
                if (property.SetMethod is not { IsPublic: true } && !IsComputed(property))
                {
                    problems.Add($"{where} is a scalar without a public setter");
                }

                continue;
            }

            if (kind.IsGenericType && kind.GetGenericTypeDefinition() is var definition
                && (definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(Dictionary<,>)))
            {
                var arguments = kind.GetGenericArguments();
                if (arguments[0] != typeof(string) || !IsScalar(arguments[1]))
                {
                    problems.Add($"{where} is a dictionary the binder cannot fill ({arguments[0].Name} → {arguments[1].Name})");
                }

                continue;
            }

            if (kind.IsGenericType && kind.GetGenericTypeDefinition() == typeof(IList<>))
            {
                var element = kind.GetGenericArguments()[0];
                if (IsScalar(element))
                {
                    continue;
                }

                CheckSettingsClass(element, where, problems);
                Walk(element, $"{where}[]", problems, seen);
                continue;
            }

            CheckSettingsClass(kind, where, problems);
            Walk(kind, where, problems, seen);
        }
    }

    private static void CheckSettingsClass(Type type, string where, List<string> problems)
    {
        if (type.Assembly != typeof(LoadBalancingOptions).Assembly || type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
        {
            problems.Add($"{where} is a {type.Name}, which is not a setting configuration can hold");
        }
    }

    private static bool IsScalar(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(TimeSpan) || t == typeof(decimal);
    }

    // Read-only scalars derived from settings (IsEnabled and the like) are not bound and need no setter.
    private static bool IsComputed(PropertyInfo property) => property.SetMethod is null && property.Name.StartsWith("Is", StringComparison.Ordinal);
}
