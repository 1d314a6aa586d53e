using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portico.Auth;
using Portico.Caching;
using Portico.Compilation;
using Portico.Configuration;
using Portico.Health;
using Portico.Http;
using Portico.Policies;
using Portico.RateLimiting;
using Portico.Routing;
using Portico.Runtime;
using Portico.Services;

namespace Portico.Hosting;

/// <summary>
/// Adds Portico to an ASP.NET Core app: <c>builder.Services.AddPortico(o => o.ConfigPath = "portico.yaml")</c>, then
/// <c>app.MapPortico()</c>. Portico keeps to its own routes: the app's logging, middleware and endpoints stay the app's.
/// </summary>
public static class PorticoServiceCollectionExtensions
{
    /// <summary>
    /// Loads the config (throwing <see cref="ConfigException"/> with every error) and registers what Portico runs
    /// on: its routes' handlers and policies, the config watcher, and (with <see cref="PorticoOptions.Listen"/>)
    /// the gateways' listeners on Kestrel.
    /// </summary>
    public static IServiceCollection AddPortico(this IServiceCollection services, Action<PorticoOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PorticoOptions();
        configure(options);
        return services.AddPortico(options, ownsHost: false);
    }

    /// <summary>
    /// <paramref name="ownsHost"/>: Portico is the whole app (`portico run`): it sets Kestrel's limits and the host's
    /// shutdown timeout from the config, and every request is a gateway's.
    /// </summary>
    internal static IServiceCollection AddPortico(this IServiceCollection services, PorticoOptions options, bool ownsHost)
    {
        if (services.Any(d => d.ServiceType == typeof(PorticoSetup))) throw new InvalidOperationException("AddPortico was already called on these services.");
        var config = options.Config;
        if (config is null)
        {
            var loaded = options.ConfigPath is not null ? ConfigLoading.LoadFile(options.ConfigPath, BuiltInRouteKinds.Set, policies: [.. options.Policies.Keys])
                : options.Configuration is { } section ? LoadSection(section, options, BuiltInRouteKinds.Set, [.. options.Policies.Keys])
                : throw new ArgumentException("Give PorticoOptions.ConfigPath, Configuration or Config.", nameof(options));
            if (!loaded.Success) throw new ConfigException(loaded.Errors);
            config = loaded.Config!;
        }
        // A config loaded elsewhere (PorticoOptions.Config) was not checked against the policies registered here.
        var unknownPolicies = config.Routes.SelectMany(r => (r.Policies ?? []).Where(p => !options.Policies.ContainsKey(p))
            .Select(p => new ConfigError($"{r.ConfigPath}.policies", $"unknown policy '{p}'", null, "register it with AddPortico(o => o.AddPolicy<T>(\"name\"))"))).ToList();
        if (unknownPolicies.Count > 0) throw new ConfigException(unknownPolicies);
        if (!options.Listen && config.Gateways.Count > 1)
            throw new ConfigException([new ConfigError("gateways", "several gateways need their own listeners", null, "set PorticoOptions.Listen = true, or keep one gateway")]);
        var listenErrors = new List<ConfigError>();
        var listeners = ListenAddresses(config, listenErrors);
        if (!options.Listen && config.Telemetry.Listen is not null)
            listenErrors.Add(new ConfigError("telemetry.listen", "the telemetry listener needs Portico's own listeners", null, "set PorticoOptions.Listen = true, or remove telemetry.listen and export metrics from the app"));
        if (listenErrors.Count > 0) throw new ConfigException(listenErrors);

        var map = new ListenerMap(config.Gateways.Count) { RestrictToGatewayPorts = options.Listen && !ownsHost };
        var setup = new PorticoSetup(options, config, map, ownsHost);
        services.AddSingleton(setup);
        if (options.Listen)
        {
            services.AddOptions<KestrelServerOptions>().Configure<IConfiguration>((kestrel, configuration) =>
            {
                // Kestrel ignores an app's URLs (`urls`, ASPNETCORE_URLS, UseUrls) once endpoints are set in code, as
                // the gateways' listeners are: the app's own are set in code beside them, so it keeps its addresses.
                if (!ownsHost) AppListeners.Add(kestrel, configuration);
                if (ownsHost)
                {
                    kestrel.AddServerHeader = false;
                    kestrel.Limits.MaxRequestBodySize = config.Server.MaxRequestBodySize;
                    kestrel.Limits.MaxRequestHeadersTotalSize = config.Server.MaxRequestHeadersTotalSize;
                }
                foreach (var (gatewayIndex, address, port, https) in listeners)
                {
                    var gateway = config.Gateways[gatewayIndex];
                    void Configure(ListenOptions listen)
                    {
                        // HTTP/2 is negotiated with ALPN, so it needs TLS; cleartext listeners speak HTTP/1.1.
                        listen.Protocols = https ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
                        if (https) listen.UseHttps(LoadCertificate(gateway.Tls!, options.ConfigPath));
                        setup.Bound.Add((listen, gatewayIndex));
                        // Known ports are mapped now, so requests accepted before the app has started already find their gateway.
                        if (port != 0) map.Set(port, gatewayIndex);
                    }
                    if (address is null) kestrel.ListenLocalhost(port, Configure);
                    else kestrel.Listen(address, port, Configure);
                }
                if (config.Telemetry.Listen is { } telemetry) TelemetryServices.Listen(kestrel, telemetry, setup);
            });
        }
        if (ownsHost) services.Configure<HostOptions>(h => h.ShutdownTimeout = config.Server.ShutdownTimeout);
        services.AddSingleton<InFlightRequests>();
        // Embedded, the app's host decides how long the drain may take.
        services.AddHostedService(sp => new ShutdownDrain(sp.GetRequiredService<InFlightRequests>(),
            ownsHost ? config.Server.ShutdownTimeout : sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<HostOptions>>().Value.ShutdownTimeout,
            sp.GetRequiredService<ILogger<ShutdownDrain>>()));
        services.AddHostedService(sp => new ListenerPorts(setup, sp.GetRequiredService<IHostApplicationLifetime>()));
        services.AddTransient<IStartupFilter>(_ => new PorticoEdge(setup));

        var time = options.TimeProvider ?? TimeProvider.System;
        services.AddRouting();
        setup.Telemetry = TelemetryServices.Add(services, config);
        EdgeTelemetryServices.Add(services, config, options.ConfigPath is { } path ? Path.GetDirectoryName(Path.GetFullPath(path))! : ConfigDirectory(options));
        services.TryAddSingleton(time);
        services.AddSingleton(sp => new BufferedBodyBudget(config.Server.BufferedBodies ?? BufferedBodyBudget.DefaultLimit(), time,
            logger: sp.GetRequiredService<ILogger<BufferedBodyBudget>>()));
        services.AddSingleton(map);
        services.AddSingleton<RuntimeHolder>();
        services.AddSingleton<Telemetry.UpstreamMetrics>();
        services.AddSingleton(sp => TelemetryServices.ServerSpans(setup.Telemetry, sp.GetRequiredService<Telemetry.GatewayView>()));
        services.AddSingleton(sp => new ServiceRegistry(time, sp.GetRequiredService<ILoggerFactory>(), sp.GetServices<IServiceClientFactory>(), sp.GetRequiredService<Telemetry.UpstreamMetrics>()));
        services.AddSingleton<ReadinessEndpoints>();
        foreach (var kind in BuiltInRouteKinds.All) kind.AddServices(services);
        services.AddPorticoRateLimiting();
        services.AddPorticoCaching(config.Server, time);
        services.AddSingleton(sp => new SnapshotCompiler(sp.GetRequiredService<ReadinessEndpoints>(), BuiltInRouteKinds.Set, sp,
            sp.GetRequiredService<RateLimitRegistry>(), sp.GetRequiredService<SessionEndpoints>())
        { PolicyNames = [.. options.Policies.Keys] });
        foreach (var (name, (type, lifetime)) in options.Policies)
            services.Add(new ServiceDescriptor(typeof(IRequestPolicy), name, type, lifetime));
        services.AddSingleton(sp => new GatewayRuntime(sp.GetRequiredService<RuntimeHolder>(), sp.GetRequiredService<ServiceRegistry>(),
            sp.GetRequiredService<SnapshotCompiler>(), sp.GetRequiredService<ILogger<GatewayRuntime>>())
        { ConfigPath = options.ConfigPath, Metrics = sp.GetRequiredService<Telemetry.PorticoMetrics>() });
        if (options.ConfigPath is null && options.Config is null && options.Configuration is { } watched)
            services.AddHostedService(sp => new ConfigurationSectionWatcher(watched, SectionSource(watched), sp.GetRequiredService<GatewayRuntime>(),
                (contents, kinds, policies) => ConfigLoading.LoadConfiguration(contents, SectionSource(watched), ConfigDirectory(options), kinds, policies),
                sp.GetRequiredService<ILogger<ConfigurationSectionWatcher>>()));
        services.AddHostedService(sp => new ConfigWatcher(sp.GetRequiredService<GatewayRuntime>(), time, sp.GetRequiredService<ILogger<ConfigWatcher>>())
        {
            WatchFile = options.WatchConfigFile && options.ConfigPath is not null,
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, GatewayMatcherPolicy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, RouteConditionsMatcherPolicy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, MethodRejectionMatcherPolicy>());
        services.AddPorticoAuth();
        return services;
    }

    static ConfigLoadResult LoadSection(IConfiguration section, PorticoOptions options, RouteKindSet kinds, IReadOnlyCollection<string> policies) =>
        ConfigLoading.LoadConfiguration(section, SectionSource(section), ConfigDirectory(options), kinds, policies);

    static string SectionSource(IConfiguration section) => section is IConfigurationSection s ? $"configuration section '{s.Path}'" : "configuration";

    static string ConfigDirectory(PorticoOptions options) => options.ConfigDirectory ?? Directory.GetCurrentDirectory();

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
}

/// <summary>What AddPortico decided, for MapPortico and the listeners: the options, the loaded config, the listener map.</summary>
internal sealed class PorticoSetup(PorticoOptions options, PorticoConfig config, ListenerMap listeners, bool ownsHost)
{
    public PorticoOptions Options => options;
    public PorticoConfig Config => config;
    public ListenerMap Listeners => listeners;
    public bool OwnsHost => ownsHost;

    /// <summary>The listeners Kestrel bound for each gateway (ports given as 0 are known once the app has started).</summary>
    public List<(ListenOptions Listen, int Gateway)> Bound { get; } = [];

    /// <summary>What telemetry the config and the environment turn on (decided once, in AddPortico).</summary>
    public TelemetryServices.Plan Telemetry { get; set; } = new(false, false, false, false);

    /// <summary>The telemetry listener Kestrel bound, if any.</summary>
    public ListenOptions? TelemetryBound { get; set; }

    /// <summary>Set by MapPortico: the config is applied once.</summary>
    public bool Mapped { get; set; }
}

/// <summary>Maps the ports the gateways' listeners were given by the system (port 0) once the app has started.</summary>
internal sealed class ListenerPorts(PorticoSetup setup, IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var (listen, gateway) in setup.Bound)
            {
                if (listen.EndPoint is IPEndPoint ip) setup.Listeners.Set(ip.Port, gateway);
            }
            if (setup.TelemetryBound?.EndPoint is IPEndPoint telemetry) setup.Listeners.SetTelemetry(telemetry.Port);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Portico's edge, in front of the app's pipeline (before routing): in-flight tracking for the drain, the
/// declared body size check and path normalization. When Portico is the whole app every request goes through it;
/// embedded, only the requests that arrive on a gateway's listener (or every request, when Portico serves on the
/// app's own ports), so the app's other endpoints see their requests as they came.
/// </summary>
internal sealed class PorticoEdge(PorticoSetup setup) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        // The telemetry listener is branched off first: its requests are no gateway's.
        if (setup.TelemetryBound is not null || setup.Config.Telemetry.Listen is not null) TelemetryServices.MapListener(app, setup);
        if (setup.OwnsHost || !setup.Options.Listen)
        {
            Edge(app);
            next(app);
            return;
        }
        bool OnGatewayListener(HttpContext context) => setup.Listeners.GatewayIndexFor(context) >= 0;
        app.UseWhen(OnGatewayListener, gateway =>
        {
            Edge(gateway);
            gateway.Use(UnmatchedRequestMiddleware.MethodNotAllowedAsync);
        });
        next(app);
        // What reaches the end of the app's pipeline on a gateway's listener matched no route: the gateway answers
        // as `portico run` does, not with the app's empty 404.
        app.UseWhen(OnGatewayListener, gateway => gateway.Run(UnmatchedRequestMiddleware.NotFoundAsync));
    };

    static void Edge(IApplicationBuilder app)
    {
        app.Use(app.ApplicationServices.GetRequiredService<InFlightRequests>().TrackAsync);
        app.UseMiddleware<Telemetry.EdgeTelemetryMiddleware>();
        app.UseMiddleware<RequestLimitsMiddleware>();
        // Before routing, so matching and everything after it see the one normalized path.
        app.UseMiddleware<PathNormalizationMiddleware>();
    }
}

/// <summary>
/// An embedding app's own addresses, set on Kestrel in code beside the gateways' listeners: `urls` (UseUrls,
/// ASPNETCORE_URLS), `http_ports` and `https_ports` (ASPNETCORE_HTTP_PORTS, …), as Kestrel reads them itself when
/// no endpoint is set in code. https ones use Kestrel's default certificate. Endpoints from `Kestrel:Endpoints`
/// need nothing: Kestrel binds them beside code ones.
/// </summary>
internal static class AppListeners
{
    public static void Add(KestrelServerOptions kestrel, IConfiguration configuration)
    {
        foreach (var url in Split(configuration["urls"])) Listen(kestrel, url);
        foreach (var port in Split(configuration["http_ports"])) Listen(kestrel, $"http://*:{port}");
        foreach (var port in Split(configuration["https_ports"])) Listen(kestrel, $"https://*:{port}");
    }

    static IEnumerable<string> Split(string? list) => list?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    static void Listen(KestrelServerOptions kestrel, string url)
    {
        // Kestrel's own reading of an address: `*`, `+` and any host name other than localhost bind every address.
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The app's address '{url}' is not a URL.");
        }
        var https = string.Equals(address.Scheme, "https", StringComparison.OrdinalIgnoreCase);
        if (!https && !string.Equals(address.Scheme, "http", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"The app's address '{url}' is not an http:// or https:// URL.");
        void Configure(ListenOptions listen)
        {
            if (https) listen.UseHttps();
        }
        if (address.IsUnixPipe)
        {
            kestrel.ListenUnixSocket(address.UnixPipePath, Configure);
            return;
        }
        if (address.IsNamedPipe)
        {
            kestrel.ListenNamedPipe(address.NamedPipeName, Configure);
            return;
        }
        var host = address.Host.Trim('[', ']');
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) kestrel.ListenLocalhost(address.Port, Configure);
        else if (IPAddress.TryParse(host, out var ip)) kestrel.Listen(ip, address.Port, Configure);
        else kestrel.ListenAnyIP(address.Port, Configure);
    }
}

/// Applies the config again when the app's configuration section holding it changes (its reload token fires).
/// The section is read in the change callback, right after its provider loaded it (a provider that failed to load
/// announces nothing), so a reload applies what was announced; checking and applying run off that thread, one at
/// a time, always on the newest contents: a change during a reload is applied after it, never before.
internal sealed partial class ConfigurationSectionWatcher(IConfiguration section, string source, GatewayRuntime runtime,
    Func<ConfigNode, RouteKindSet, IReadOnlyCollection<string>, ConfigLoadResult> load, ILogger<ConfigurationSectionWatcher> logger) : IHostedService, IDisposable
{
    readonly Lock _lock = new();
    IDisposable? _subscription;
    ConfigNode? _pending;
    bool _applying, _stopped;
    Task _worker = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = Microsoft.Extensions.Primitives.ChangeToken.OnChange(section.GetReloadToken, Changed);
        return Task.CompletedTask;
    }

    /// Change callbacks come one at a time, in order; only the newest unapplied contents are kept.
    void Changed()
    {
        ConfigNode contents;
        try
        {
            contents = ConfigurationDocument.From(section, source);
        }
        catch (Exception ex)
        {
            LogReloadFailed(logger, ex);
            return;
        }
        lock (_lock)
        {
            if (_stopped) return;
            _pending = contents;
            if (_applying) return;
            _applying = true;
            _worker = Task.Run(ApplyPendingAsync);
        }
    }

    async Task ApplyPendingAsync()
    {
        while (true)
        {
            ConfigNode contents;
            lock (_lock)
            {
                if (_pending is null || _stopped)
                {
                    _applying = false;
                    return;
                }
                contents = _pending;
                _pending = null;
            }
            try
            {
                // A refused config is logged by the runtime; the running one stays.
                await runtime.ReloadFromAsync((kinds, policies) => load(contents, kinds, policies)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The running config stays; nothing of a failed compile went live.
                LogReloadFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Error, Message = "Applying the changed configuration section failed; the running configuration is kept")]
    static partial void LogReloadFailed(ILogger logger, Exception exception);

    /// Stops taking changes and waits for a reload in progress.
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        Task worker;
        lock (_lock)
        {
            _stopped = true;
            worker = _worker;
        }
        await worker.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _subscription?.Dispose();
}
