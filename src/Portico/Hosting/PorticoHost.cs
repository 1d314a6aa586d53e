using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portico.Auth;
using Portico.Caching;
using Portico.Configuration;
using Portico.Formats;
using Portico.Health;
using Portico.RateLimiting;
using Portico.Routing;
using Portico.Runtime;
using Portico.Services;

namespace Portico.Hosting;

/// Builds the gateway host: Kestrel listeners per named gateway, the routing pipeline fed by the runtime
/// snapshot, config reload, health endpoints and graceful shutdown.
public static class PorticoHost
{
    /// Loads and validates the config (throwing <see cref="ConfigException"/> with every error) and builds the app.
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
        var listenErrors = new List<ConfigError>();
        var listeners = ListenAddresses(config, listenErrors);
        if (listenErrors.Count > 0) throw new ConfigException(listenErrors);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = options.Args,
            ContentRootPath = options.ConfigPath is null ? AppContext.BaseDirectory : Path.GetDirectoryName(Path.GetFullPath(options.ConfigPath)),
        });
        builder.WebHost.UseKestrelHttpsConfiguration();
        ConfigureLogging(builder.Logging, config.Server, options.LogFormat);

        var map = new ListenerMap(config.Gateways.Count);
        var bound = new List<(ListenOptions Listen, int Gateway)>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = config.Server.MaxRequestBodySize;
            kestrel.Limits.MaxRequestHeadersTotalSize = config.Server.MaxRequestHeadersTotalSize;
            foreach (var (gatewayIndex, address, port, https) in listeners)
            {
                var gateway = config.Gateways[gatewayIndex];
                void Configure(ListenOptions listen)
                {
                    // HTTP/2 is negotiated with ALPN, so it needs TLS; cleartext listeners speak HTTP/1.1.
                    listen.Protocols = https ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
                    if (https) listen.UseHttps(LoadCertificate(gateway.Tls!, options.ConfigPath));
                    bound.Add((listen, gatewayIndex));
                    // Known ports are mapped now, so requests accepted before ApplicationStarted fires already find their gateway.
                    if (port != 0) map.Set(port, gatewayIndex);
                }
                if (address is null) kestrel.ListenLocalhost(port, Configure);
                else kestrel.Listen(address, port, Configure);
            }
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = config.Server.ShutdownTimeout);
        builder.Services.AddSingleton<InFlightRequests>();
        builder.Services.AddHostedService(sp => new ShutdownDrain(sp.GetRequiredService<InFlightRequests>(), config.Server.ShutdownTimeout, sp.GetRequiredService<ILogger<ShutdownDrain>>()));

        var time = options.TimeProvider ?? TimeProvider.System;
        var services = builder.Services;
        services.AddRouting();
        services.AddSingleton(time);
        services.AddSingleton(sp => new BufferedBodyBudget(config.Server.BufferedBodies ?? BufferedBodyBudget.DefaultLimit(), time,
            logger: sp.GetRequiredService<ILogger<BufferedBodyBudget>>()));
        services.AddSingleton(map);
        services.AddSingleton<RuntimeHolder>();
        services.AddSingleton(sp => new ServiceRegistry(time, sp.GetRequiredService<ILoggerFactory>(), sp.GetServices<IServiceClientFactory>()));
        services.AddSingleton<ReadinessEndpoints>();
        foreach (var kind in BuiltInRouteKinds.All) kind.AddServices(services);
        services.AddPorticoRateLimiting();
        services.AddPorticoCaching(config.Server, time);
        services.AddSingleton(sp => new SnapshotCompiler(sp.GetRequiredService<ReadinessEndpoints>(), BuiltInRouteKinds.Set, sp,
            sp.GetRequiredService<RateLimitRegistry>(), sp.GetRequiredService<SessionEndpoints>()));
        services.AddSingleton(sp => new GatewayRuntime(sp.GetRequiredService<RuntimeHolder>(), sp.GetRequiredService<ServiceRegistry>(),
            sp.GetRequiredService<SnapshotCompiler>(), sp.GetRequiredService<ILogger<GatewayRuntime>>())
        { ConfigPath = options.ConfigPath });
        services.AddHostedService(sp => new ConfigWatcher(sp.GetRequiredService<GatewayRuntime>(), time, sp.GetRequiredService<ILogger<ConfigWatcher>>())
        {
            WatchFile = options.WatchConfigFile,
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, GatewayMatcherPolicy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, RouteConditionsMatcherPolicy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, MethodRejectionMatcherPolicy>());
        services.AddPorticoAuth();
        options.ConfigureServices?.Invoke(services);

        var app = builder.Build();
        app.Services.GetRequiredService<GatewayRuntime>().ApplyAsync(config).GetAwaiter().GetResult();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var (listen, gateway) in bound)
            {
                if (listen.EndPoint is IPEndPoint ip) map.Set(ip.Port, gateway);
            }
        });

        app.Use(app.Services.GetRequiredService<InFlightRequests>().TrackAsync);
        app.UseMiddleware<RequestLimitsMiddleware>();
        // Before routing, so matching and everything after it see the one normalized path.
        app.UseMiddleware<PathNormalizationMiddleware>();
        app.UseRouting();
        app.UseMiddleware<UnmatchedRequestMiddleware>();
        // Formats first, so the gateway's own problems (401, 429, …) reach XML clients as problem+xml.
        app.UsePorticoFormats();
        app.UsePorticoAuth();
        // After auth, so per-consumer limits see the caller's identity.
        app.UsePorticoRateLimiting();
        // After rate limiting: a cached answer still counts against the caller's limit.
        app.UsePorticoCaching();
        // Last: an XML body is read and converted only for a caller who got this far.
        app.UsePorticoXmlRequests();
        ((IEndpointRouteBuilder)app).DataSources.Add(app.Services.GetRequiredService<RuntimeHolder>());
        return app;
    }

    /// The bound ports of a gateway (useful when it listens on port 0).
    public static IReadOnlyList<int> PortsOf(WebApplication app, string gateway)
    {
        var runtime = app.Services.GetRequiredService<RuntimeHolder>().Current;
        var index = runtime.Config.Gateways.ToList().FindIndex(g => g.Name == gateway);
        return index < 0 ? [] : app.Services.GetRequiredService<ListenerMap>().PortsOf(index);
    }

    static List<(int Gateway, IPAddress? Address, int Port, bool Https)> ListenAddresses(PorticoConfig config, List<ConfigError> errors)
    {
        var list = new List<(int, IPAddress?, int, bool)>();
        for (var gi = 0; gi < config.Gateways.Count; gi++)
        {
            foreach (var text in config.Gateways[gi].Listen)
            {
                var uri = new Uri(text);
                var host = uri.Host.Trim('[', ']');
                IPAddress? address;
                if (host is "localhost") address = null;
                else if (host is "*" or "+" or "0.0.0.0") address = IPAddress.Any;
                else if (!IPAddress.TryParse(host, out address))
                {
                    errors.Add(new ConfigError($"gateways.{config.Gateways[gi].Name}.listen", $"'{text}' names a host, not an address", null, "listen on an IP address (127.0.0.1, 0.0.0.0, [::]) or localhost"));
                    continue;
                }
                list.Add((gi, address, uri.Port, uri.Scheme == "https"));
            }
        }
        return list;
    }

    static X509Certificate2 LoadCertificate(TlsDefinition tls, string? configPath)
    {
        var baseDir = configPath is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(Path.GetFullPath(configPath))!;
        var certPath = Path.Combine(baseDir, tls.Certificate);
        if (tls.Key is not null)
            return X509Certificate2.CreateFromPemFile(certPath, Path.Combine(baseDir, tls.Key));
        return X509CertificateLoader.LoadPkcs12FromFile(certPath, tls.Password);
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
