using Microsoft.Extensions.Configuration;

namespace Loadstone.Discovery;

/// <summary>Binds a <c>Discovery:{Provider}</c> section onto options. Shared source file of the discovery packages.</summary>
internal static class DiscoverySection
{
    /// <summary>
    /// Binds <paramref name="section"/> onto <paramref name="options"/>. Each key is checked against
    /// <paramref name="schema"/> first, so that an unknown key (a typo), a value that does not convert or a misplaced
    /// section is reported with its key and what would be right, every one of them, instead of thrown.
    /// <paramref name="bindStrict"/> makes the typed call (so the binder's source generator writes the binding), with
    /// unknown keys as errors.
    /// </summary>
    public static void Bind<TOptions>(IConfigurationSection section, TOptions options, SettingsSchema schema, Func<string, string> subject,
        Action<IConfiguration, TOptions> bindStrict, ICollection<string> problems)
        where TOptions : new()
    {
        var settings = section.AsEnumerable(makePathsRelative: true).Where(kv => kv.Value is not null);
        var valid = schema.Check(settings, subject, setting => Try(() => bindStrict(setting, new TOptions())), problems);
        if (Try(() => bindStrict(new ConfigurationBuilder().AddInMemoryCollection(valid).Build(), options)) is { } ex)
        {
            // Only a combination of keys the schema passed one by one gets here; say what the binder says.
            var message = ex.InnerException is null ? ex.Message : $"{ex.Message} {ex.InnerException.Message}";
            problems.Add($"{section.Path}: {message}");
        }
    }

    private static InvalidOperationException? Try(Action bind)
    {
        try
        {
            bind();
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return ex;
        }
    }
}
