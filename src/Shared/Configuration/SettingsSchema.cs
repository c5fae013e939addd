using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Loadstone;

/// <summary>
/// The shape of a bindable options type, read from the types themselves: its settings, their types, and the
/// sections, arrays and maps below it. A configuration section is checked against it key by key before it is bound,
/// so that each problem is reported with its key and with what would be right (the settings of the section and the
/// nearest name, the allowed values of an enum, the format of a time span), and every problem is found where the
/// binder stops at its first. Shared source file of the packages that bind configuration.
/// </summary>
/// <remarks>
/// The settings are the public properties the binder binds: those with a public setter, and get-only sections and
/// collections it fills in place (under their <see cref="ConfigurationKeyNameAttribute"/> name, if any). The binder
/// stays the judge of what converts: a value is reported only if binding it alone fails (an empty value leaves a
/// number, a time span or an enum at its default, as the binder does). On top of the binder, this rejects what the
/// binder accepts and then ignores or misreads: a read-only or internal property, an array entry whose key is not an
/// index, an enum written as a number or as a comma-separated list.
/// </remarks>
internal sealed class SettingsSchema
{
    private readonly Dictionary<Type, SectionType> _sections = [];
    private readonly SectionType _root;

    /// <param name="root">The options type bound at the section's root, with the words that name it in messages.</param>
    /// <param name="nested">Every class type reachable from the root that configuration fills in (sections, array elements).</param>
    public SettingsSchema(SectionType root, params SectionType[] nested)
    {
        _root = root;
        _sections[root.Type] = root;
        foreach (var section in nested)
        {
            _sections[section.Type] = section;
        }
    }

    /// <summary>Whether <paramref name="type"/> is the root or a registered section type.</summary>
    public bool Knows(Type type) => _sections.ContainsKey(type);

    /// <summary>
    /// Checks settings (paths relative to the section's root, and their values) and returns those that may be bound;
    /// each one that may not is left out and reported in <paramref name="problems"/>.
    /// </summary>
    /// <param name="settings">The section's keys that have a value, relative to the section.</param>
    /// <param name="subject">
    /// Names a relative path in a message, with the service and the full configuration key, e.g.
    /// <c>Service 'catalog': Zones:Mode (LoadBalancing:Services:catalog:Zones:Mode)</c>.
    /// </param>
    /// <param name="bindAlone">Binds a configuration holding one setting onto a fresh options object, strictly; returns what it threw, or null.</param>
    /// <param name="problems">Where problems go.</param>
    public Dictionary<string, string?> Check(
        IEnumerable<KeyValuePair<string, string?>> settings,
        Func<string, string> subject,
        Func<IConfiguration, Exception?> bindAlone,
        ICollection<string> problems)
    {
        var kept = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in settings)
        {
            if (Check(key, value, subject, bindAlone) is { } problem)
            {
                problems.Add(problem);
            }
            else
            {
                kept[key] = value;
            }
        }

        return kept;
    }

    private string? Check(string key, string? value, Func<string, string> subject, Func<IConfiguration, Exception?> bindAlone)
    {
        var segments = key.Split(':');
        var node = Node.Of(_root);
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            switch (node.Kind)
            {
                case Kind.Section:
                    var section = node.Section!;
                    if (!section.TryGetSetting(segment, out var property))
                    {
                        return $"{subject(Path(segments, i + 1))} is not a known setting; {Label(segments, i)} has {string.Join(", ", section.Names)}.{Suggestion(segment, section.Names)}";
                    }

                    node = Classify(property.PropertyType);
                    break;
                case Kind.List:
                    if (!IsIndex(segment))
                    {
                        var list = Path(segments, i);
                        return $"{subject(Path(segments, i + 1))} is not an array index; {list} is an array, written {list}:0, {list}:1, ...";
                    }

                    node = node.Element!;
                    break;
                case Kind.Map:
                    node = node.Element!;
                    break;
                case Kind.Scalar:
                    return $"{subject(Path(segments, i))} is a single value, not a section, so {key} is not a setting.";
                default:
                    return Opaque(key, value, subject, bindAlone);
            }
        }

        return node.Kind switch
        {
            Kind.Scalar => Convert(key, value, node.Type!, subject, bindAlone),
            Kind.Opaque => Opaque(key, value, subject, bindAlone),
            _ when string.IsNullOrEmpty(value) => null, // an empty object or array in JSON
            Kind.Section => $"{subject(key)} is a section, not a single value ('{value}'); its settings are {string.Join(", ", node.Section!.Names)}.",
            Kind.List => $"{subject(key)} is an array, not a single value ('{value}'); write its entries as {key}:0, {key}:1, ...",
            _ => $"{subject(key)} is a section of names and values, not a single value ('{value}'); write its entries as {key}:{{name}}.",
        };
    }

    private static string? Opaque(string key, string? value, Func<string, string> subject, Func<IConfiguration, Exception?> bindAlone) =>
        BindsAlone(key, value, bindAlone) is { } error ? $"{subject(key)} cannot be bound: {Flatten(error)}" : null;

    private static string? Convert(string key, string? value, Type type, Func<string, string> subject, Func<IConfiguration, Exception?> bindAlone)
    {
        if (type == typeof(string))
        {
            return null; // any text converts
        }

        var shown = $"{subject(key)} is '{value}'";
        if (type.IsEnum && !string.IsNullOrEmpty(value))
        {
            // The binder also takes numbers and comma-separated names (combined as flags): neither is meant here.
            var names = Enum.GetNames(type);
            var name = value.Trim();
            return names.Any(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
                ? null
                : $"{shown}; use one of {string.Join(", ", names)}.";
        }

        if (BindsAlone(key, value, bindAlone) is null)
        {
            return null;
        }

        return type == typeof(bool) ? $"{shown}; use true or false."
            : type == typeof(TimeSpan) ? $"{shown}; write a time span as [d.]hh:mm:ss[.fffffff], e.g. 00:00:10 for 10 seconds or 00:05:00 for 5 minutes."
            : type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) || type == typeof(uint) || type == typeof(ulong)
                ? $"{shown}; it must be a whole number."
            : type == typeof(double) || type == typeof(float) || type == typeof(decimal)
                ? $"{shown}; it must be a number, with '.' as the decimal point (e.g. 0.85)."
            : $"{shown}; it does not convert to {type.Name}.";
    }

    private static Exception? BindsAlone(string key, string? value, Func<IConfiguration, Exception?> bindAlone) =>
        bindAlone(new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build());

    private static string Flatten(Exception error) =>
        error.InnerException is { } inner ? $"{error.Message} {inner.Message}" : error.Message;

    private Node Classify(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(string) || t.IsPrimitive || t.IsEnum || t == typeof(TimeSpan) || t == typeof(decimal) || t == typeof(Uri))
        {
            return new Node(Kind.Scalar, t, null, null);
        }

        if (_sections.TryGetValue(t, out var section))
        {
            return Node.Of(section);
        }

        if (t.IsArray && t.GetElementType() is { } element)
        {
            return new Node(Kind.List, null, null, Classify(element));
        }

        if (t.IsGenericType)
        {
            var definition = t.GetGenericTypeDefinition();
            var arguments = t.GetGenericArguments();
            if (definition == typeof(IList<>) || definition == typeof(List<>) || definition == typeof(ICollection<>)
                || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyList<>) || definition == typeof(IReadOnlyCollection<>))
            {
                return new Node(Kind.List, null, null, Classify(arguments[0]));
            }

            if ((definition == typeof(IDictionary<,>) || definition == typeof(Dictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
                && arguments[0] == typeof(string))
            {
                return new Node(Kind.Map, null, null, Classify(arguments[1]));
            }
        }

        return new Node(Kind.Opaque, null, null, null);
    }

    private string Label(string[] segments, int depth) =>
        depth == 0 ? _root.Label : Path(segments, depth);

    private static string Path(string[] segments, int count) => string.Join(':', segments, 0, count);

    private static bool IsIndex(string segment) =>
        segment.Length > 0 && segment.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;

    /// <summary>" Did you mean X?" for the known name nearest to a misspelt one (at most two edits away), else nothing.</summary>
    internal static string Suggestion(string name, IEnumerable<string> known)
    {
        var best = known
            .Select(k => (Name: k, Distance: Distance(name.ToUpperInvariant(), k.ToUpperInvariant())))
            .Where(c => c.Distance <= Math.Min(2, c.Name.Length / 3 + 1))
            .OrderBy(c => c.Distance)
            .FirstOrDefault();
        return best.Name is null ? "" : $" Did you mean {best.Name}?";
    }

    // Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours count one each.
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private enum Kind
    {
        Section,
        List,
        Map,
        Scalar,
        Opaque,
    }

    private sealed record Node(Kind Kind, Type? Type, SectionType? Section, Node? Element)
    {
        public static Node Of(SectionType section) => new(Kind.Section, null, section, null);
    }
}

/// <summary>A class type that configuration fills in, and the words for it in messages.</summary>
internal sealed class SectionType
{
    private readonly Dictionary<string, PropertyInfo> _properties;

    /// <param name="type">The type.</param>
    /// <param name="label">How messages name it at the root of a section, e.g. "a service"; unused for nested types.</param>
    /// <param name="alsoKnown">Keys of the section read by other code (e.g. Discovery), listed among its settings.</param>
    public SectionType([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type, string label = "", params string[] alsoKnown)
    {
        Type = type;
        Label = label;
        _properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod is { IsPublic: true } && IsSetting(p))
            .ToDictionary(p => p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? p.Name, StringComparer.OrdinalIgnoreCase);
        Names = [.. _properties.Keys.Concat(alsoKnown)];
    }

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)]
    public Type Type { get; }

    public string Label { get; }

    /// <summary>The settings, in declaration order.</summary>
    public string[] Names { get; }

    /// <summary>
    /// The setting named <paramref name="name"/> (case-insensitive). A read-only scalar (IsEnabled) is no setting: the
    /// binder knows its name and ignores a value for it without a word.
    /// </summary>
    public bool TryGetSetting(string name, [NotNullWhen(true)] out PropertyInfo? property) => _properties.TryGetValue(name, out property);

    // A setting has a public setter, or is a get-only section or collection the binder fills in place.
    private static bool IsSetting(PropertyInfo property)
    {
        if (property.SetMethod is { IsPublic: true })
        {
            return true;
        }

        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return !(type == typeof(string) || type.IsPrimitive || type.IsEnum || type == typeof(TimeSpan) || type == typeof(decimal) || type == typeof(Uri));
    }
}
