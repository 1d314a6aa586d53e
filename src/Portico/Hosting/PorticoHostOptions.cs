using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration;

namespace Portico.Hosting;

/// <summary>How to start a gateway: from a config file (watched for changes) or from an already loaded config.</summary>
public sealed class PorticoHostOptions
{
    /// <summary>The YAML or JSON config file; relative files it names (.proto, keys, certificates) are found beside it.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>An already loaded config (see <see cref="ConfigLoader"/>); used when no file is given.</summary>
    public PorticoConfig? Config { get; init; }

    /// <summary>Command-line arguments handed to the ASP.NET Core host builder (its own switches, e.g. <c>--environment</c>).</summary>
    public string[] Args { get; init; } = [];

    /// <summary>Reload the file when it changes (settled writes only; a config that does not load keeps the old one).</summary>
    public bool WatchConfigFile { get; init; } = true;

    /// <summary>The clock Portico's timers and limits use (tests pass a fake one); the system clock by default.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>"json" (default, for machines) or "text" (for people); overrides the config's server.logging.format.</summary>
    public string? LogFormat { get; init; }

    /// <summary>Called with the host's services after Portico registered its own: add or replace services here.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }
}
