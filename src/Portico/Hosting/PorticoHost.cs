using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Routing;
using Portico.Runtime;

namespace Portico.Hosting;

/// <summary>
/// Builds the gateway host: Kestrel listeners per named gateway, the routing pipeline fed by the runtime
/// snapshot, config reload, health endpoints and graceful shutdown.
/// </summary>
public static class PorticoHost
{
    /// <summary>
    /// Loads and validates the config (throwing <see cref="ConfigException"/> with every error) and builds the app:
    /// Portico alone, over the same calls an app that embeds it makes (AddPortico, MapPortico).
    /// </summary>
    public static WebApplication Create(PorticoHostOptions options)
    {
        var config = options.Config;
        if (config is null)
        {
            if (options.ConfigPath is null) throw new ArgumentException("Give a config path or a config.", nameof(options));
            var loaded = ConfigLoader.LoadFile(options.ConfigPath);
            if (!loaded.Success) throw new ConfigException(loaded.Errors);
            config = loaded.Config!;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = options.Args,
            ContentRootPath = options.ConfigPath is null ? AppContext.BaseDirectory : Path.GetDirectoryName(Path.GetFullPath(options.ConfigPath)),
        });
        builder.WebHost.UseKestrelHttpsConfiguration();
        ConfigureLogging(builder.Logging, config.Server, options.LogFormat);
        builder.Services.AddPortico(new PorticoOptions
        {
            ConfigPath = options.ConfigPath,
            Config = config,
            WatchConfigFile = options.WatchConfigFile,
            TimeProvider = options.TimeProvider,
        }, ownsHost: true);
        options.ConfigureServices?.Invoke(builder.Services);

        var app = builder.Build();
        Auth.AuthServiceExtensions.MarkAuthMiddlewarePlaced(app);
        app.UseRouting();
        // Requests no route takes get a problem+json 404 (or 405); the app is Portico's alone.
        app.UseMiddleware<UnmatchedRequestMiddleware>();
        app.MapPortico();
        return app;
    }

    /// <summary>The config Portico runs now (the last one that loaded) in the app whose services are <paramref name="services"/>.</summary>
    public static PorticoConfig CurrentConfig(IServiceProvider services) => services.GetRequiredService<RuntimeHolder>().Current.Config;

    /// <summary>The bound ports of a gateway (useful when it listens on port 0).</summary>
    public static IReadOnlyList<int> PortsOf(WebApplication app, string gateway)
    {
        var runtime = app.Services.GetRequiredService<RuntimeHolder>().Current;
        var index = runtime.Config.Gateways.ToList().FindIndex(g => g.Name == gateway);
        return index < 0 ? [] : app.Services.GetRequiredService<ListenerMap>().PortsOf(index);
    }

    static void ConfigureLogging(ILoggingBuilder logging, ServerDefinition server, string? formatOverride)
    {
        logging.ClearProviders();
        if ((formatOverride ?? server.LogFormat) == "text") logging.AddSimpleConsole(o => o.SingleLine = true);
        else logging.AddJsonConsole(o => o.UseUtcTimestamp = true);
        var level = Enum.Parse<LogLevel>(server.LogLevel);
        logging.SetMinimumLevel(level);
        // Per-request framework logs cost CPU on every request; Portico logs what matters itself.
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", level);
        logging.AddFilter("Yarp", LogLevel.Error);
        logging.AddFilter("System.Net.Http", LogLevel.Warning);
    }
}
