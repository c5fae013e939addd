using Microsoft.Extensions.Configuration;

namespace Loadstone;

/// <summary>
/// Creates endpoint sources from configuration: a provider owns one key under
/// <c>LoadBalancing:Services:{service}:Discovery</c> (for example <c>Dns</c> or <c>Etcd</c>), and for every service
/// whose configuration has that key, creates the source it describes. Register providers in the container (a
/// discovery package's <c>Add…Discovery()</c> does it); a <c>Discovery</c> key that no provider owns is an error.
/// </summary>
public interface IEndpointSourceProvider
{
    /// <summary>The key under <c>Discovery</c> this provider reads, e.g. <c>Dns</c>; compared case-insensitively.</summary>
    string Name { get; }

    /// <summary>Creates the source a service's <c>Discovery:{Name}</c> section describes.</summary>
    /// <param name="serviceName">The logical service name.</param>
    /// <param name="section">The section, e.g. <c>LoadBalancing:Services:catalog:Discovery:Dns</c>.</param>
    /// <param name="problems">
    /// Where to report what is wrong with the section, one message per problem naming the setting and its configuration
    /// key (use <see cref="IConfigurationSection.Path"/>); every problem of the service is reported together at start-up.
    /// </param>
    /// <returns>The source, or <see langword="null"/> when the section has problems.</returns>
    IEndpointSource? CreateSource(string serviceName, IConfigurationSection section, ICollection<string> problems);
}
