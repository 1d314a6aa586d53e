using System.Globalization;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.LoadBalancing;
using Portico.Resilience;

namespace Portico.Services;

/// A service as the hot path sees it: destinations with health, a balancer, one pooled HTTP client and its
/// resilience pipelines. Kept across reloads while its definition is unchanged, so pools and health survive.
internal sealed class ServiceRuntime : IAsyncDisposable
{
    readonly ActiveHealthProber? _prober;

    public ServiceRuntime(ServiceDefinition definition, TimeProvider time, ILoggerFactory loggers) : this(definition, time, loggers, null) { }

    /// <paramref name="client"/> makes what a service of another protocol than HTTP holds (gRPC channels, a broker connection).
    internal ServiceRuntime(ServiceDefinition definition, TimeProvider time, ILoggerFactory loggers, IServiceClientFactory? client, Telemetry.UpstreamMetrics? metrics = null)
    {
        Metrics = metrics;
        Definition = definition;
        Fingerprint = FingerprintOf(definition);
        Destinations = new DestinationSet(definition.Urls, definition.PassiveHealth, time);
        Balancer = ILoadBalancer.Create(definition.LoadBalancing);
        Invoker = new HttpMessageInvoker(CreateHandler(definition), disposeHandler: true);
        Resilience = new ServiceResilience(definition, time, metrics);
        Client = client?.Create(this, time, loggers);
        if (definition.Health is { } health)
            _prober = new ActiveHealthProber(definition.Name, health, Destinations, Invoker, time, loggers.CreateLogger("Portico.Health"));
    }

    public string Name => Definition.Name;
    public ServiceDefinition Definition { get; }
    public string Fingerprint { get; }
    public DestinationSet Destinations { get; }
    public ILoadBalancer Balancer { get; }
    public HttpMessageInvoker Invoker { get; }
    public ServiceResilience Resilience { get; }

    /// Where the calls to this service are counted; null when nothing measures them (unit tests).
    internal Telemetry.UpstreamMetrics? Metrics { get; }
    /// What a service of another protocol than HTTP holds: channels to a gRPC service's destinations, the broker
    /// connection of an AMQP service; null for an HTTP service.
    internal IServiceClient? Client { get; }
    public bool HasActiveHealth => _prober is not null;
    internal ActiveHealthProber? Prober => _prober;

    /// Ready when some destination can take traffic and, with active checks, the first probes have answered (or,
    /// for a protocol that decides itself, such as a broker connection, when its client says so).
    public bool IsReady => Client?.IsReady ?? ((_prober is null || _prober.CompletedFirstRound) && Destinations.Available.Length > 0);

    internal void Start()
    {
        _prober?.Start();
        Client?.Start();
    }

    static SocketsHttpHandler CreateHandler(ServiceDefinition definition)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = definition.ConnectTimeout,
            // Re-resolve DNS now and then so a service moving address is followed without a reload.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            // The trace context is written by the gateway's client span (UpstreamCall), once; the handler's own would add a second.
            ActivityHeadersPropagator = null,
        };
        if (definition.MaxConnectionsPerServer is { } max) handler.MaxConnectionsPerServer = max;
        return handler;
    }

    /// Everything that makes two definitions behave differently; equal fingerprints share one runtime.
    public static string FingerprintOf(ServiceDefinition d) => string.Join("|",
        d.Name, string.Join(",", d.Urls.Select(u => u.AbsoluteUri)), d.LoadBalancing, d.Health, d.PassiveHealth, d.Timeout.Ticks.ToString(CultureInfo.InvariantCulture),
        d.Retry is { } r ? $"{r.Attempts},{r.Backoff.Ticks},{r.MaxBackoff.Ticks},{string.Join(",", r.OnStatus)},{r.BudgetRatio},{r.BudgetMinPerSecond}" : "-",
        d.CircuitBreaker, d.ConnectTimeout.Ticks.ToString(CultureInfo.InvariantCulture), d.MaxConnectionsPerServer, d.Required, d.Protocol,
        d.ProtocolSection?.Fingerprint ?? "-");

    public async ValueTask DisposeAsync()
    {
        if (_prober is not null) await _prober.DisposeAsync().ConfigureAwait(false);
        Invoker.Dispose();
        if (Client is not null) await Client.DisposeAsync().ConfigureAwait(false);
    }
}
