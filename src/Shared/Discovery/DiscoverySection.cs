using Microsoft.Extensions.Configuration;

namespace Loadstone.Discovery;

/// <summary>Binds a <c>Discovery:{Provider}</c> section onto options. Shared source file of the discovery packages.</summary>
internal static class DiscoverySection
{
    /// <summary>
    /// Binds <paramref name="section"/> with <paramref name="bind"/>; an unknown key (a typo) or a value that does not
    /// convert is reported with the section's path instead of thrown. <paramref name="bind"/> makes the typed call (so the
    /// binder's source generator writes the binding), strictly (unknown keys are errors) when its flag is true.
    /// </summary>
    public static void Bind(IConfigurationSection section, Action<IConfigurationSection, bool> bind, ICollection<string> problems)
    {
        try
        {
            bind(section, true);
        }
        catch (InvalidOperationException ex)
        {
            var message = ex.InnerException is null ? ex.Message : $"{ex.Message} {ex.InnerException.Message}";
            problems.Add($"{section.Path}: {message}");

            // The binder stops at an unknown key before binding the known ones; bind those anyway, so that their own
            // problems are reported in the same message.
            try
            {
                bind(section, false);
            }
            catch (InvalidOperationException)
            {
                // A value that does not convert was reported above.
            }
        }
    }
}
