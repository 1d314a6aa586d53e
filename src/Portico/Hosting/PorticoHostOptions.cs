using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration;

namespace Portico.Hosting;

/// How to start a gateway: from a config file (watched for changes) or from an already loaded config.
public sealed class PorticoHostOptions
{
    public string? ConfigPath { get; init; }
    public PorticoConfig? Config { get; init; }
    public string[] Args { get; init; } = [];
    public bool WatchConfigFile { get; init; } = true;
    public TimeProvider? TimeProvider { get; init; }

    /// "json" (default, for machines) or "text" (for people); overrides the config's server.logging.format.
    public string? LogFormat { get; init; }

    public Action<IServiceCollection>? ConfigureServices { get; init; }
}
