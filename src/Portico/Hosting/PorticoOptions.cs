using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration;
using Portico.Policies;

namespace Portico.Hosting;

/// <summary>
/// Where Portico takes its configuration from, for <c>AddPortico</c>:
/// a file (watched and reloaded when it changes) or an already loaded config.
/// </summary>
public sealed class PorticoOptions
{
    /// <summary>The YAML or JSON config file; relative files it names (.proto, keys, certificates) are found beside it.</summary>
    public string? ConfigPath { get; set; }

    /// <summary>An already loaded and validated config (see <see cref="ConfigLoader"/>); used when no file is given.</summary>
    public PorticoConfig? Config { get; set; }

    /// <summary>
    /// A section of the app's configuration holding Portico's config (e.g. <c>builder.Configuration.GetSection("Portico")</c>,
    /// the same keys as the file, lists as arrays); used when neither a file nor a config is given. It is applied
    /// again when the configuration reloads (appsettings.json edited, …); a change that does not load keeps the old config.
    /// </summary>
    public Microsoft.Extensions.Configuration.IConfiguration? Configuration { get; set; }

    /// <summary>
    /// Where relative files named by <see cref="Configuration"/> (.proto files, keys, certificates) are; default the
    /// current directory.
    /// </summary>
    public string? ConfigDirectory { get; set; }

    /// <summary>Reload the file when it changes (settled writes only; a config that does not load keeps the old one).</summary>
    public bool WatchConfigFile { get; set; } = true;

    /// <summary>
    /// Open each gateway's `listen` addresses on Kestrel, and serve Portico's routes only on them. False serves
    /// the routes on whatever the app listens on (with one gateway; several need their own listeners).
    /// </summary>
    public bool Listen { get; set; } = true;

    /// <summary>The clock Portico's timers and limits use (tests pass a fake one).</summary>
    public TimeProvider? TimeProvider { get; set; }

    readonly Dictionary<string, (Type Type, ServiceLifetime Lifetime)> _policies = new(StringComparer.Ordinal);

    /// <summary>
    /// Registers <typeparamref name="TPolicy"/> under <paramref name="name"/>, for routes that say `policies: [name]`.
    /// It is created by the container (constructor injection) with <paramref name="lifetime"/>: scoped policies get
    /// the request's scope.
    /// </summary>
    public PorticoOptions AddPolicy<TPolicy>(string name, ServiceLifetime lifetime = ServiceLifetime.Singleton) where TPolicy : class, IRequestPolicy
    {
        if (!ConfigNames.IsValid(name)) throw new ArgumentException($"'{name}' is not a valid policy name (letters, digits, '.', '_' and '-')", nameof(name));
        if (!_policies.TryAdd(name, (typeof(TPolicy), lifetime))) throw new ArgumentException($"a policy named '{name}' is already registered", nameof(name));
        return this;
    }

    /// <summary>The policies registered, by name.</summary>
    internal IReadOnlyDictionary<string, (Type Type, ServiceLifetime Lifetime)> Policies => _policies;
}
