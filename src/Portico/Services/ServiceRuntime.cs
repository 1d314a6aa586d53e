using System.Globalization;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Health;
using Portico.LoadBalancing;
using Portico.Resilience;

namespace Portico.Services;

/// A service as the hot path sees it: destinations with health, a balancer, one pooled HTTP client and its
/// resilience pipelines. Kept across reloads while its definition is unchanged, so pools and health survive.
public sealed class ServiceRuntime : IAsyncDisposable
{
    readonly ActiveHealthProber? _prober;

    public ServiceRuntime(ServiceDefinition definition, TimeProvider time, ILoggerFactory loggers)
    {
        Definition = definition;
        Fingerprint = FingerprintOf(definition);
        Destinations = new DestinationSet(definition.Urls, definition.PassiveHealth, time);
        Balancer = ILoadBalancer.Create(definition.LoadBalancing);
        Invoker = new HttpMessageInvoker(CreateHandler(definition), disposeHandler: true);
        Resilience = new ServiceResilience(definition, time);
        if (definition.Protocol == ServiceProtocol.Grpc) Grpc = new Protocols.Grpc.GrpcChannels(Destinations, definition.ConnectTimeout);
        if (definition.Protocol == ServiceProtocol.Amqp) Amqp = new Protocols.Amqp.AmqpBroker(definition, time, loggers);
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
    /// Channels to the destinations of a `protocol: grpc` service.
    public Protocols.Grpc.GrpcChannels? Grpc { get; }
    /// The broker connection of a `protocol: amqp` service.
    public Protocols.Amqp.AmqpBroker? Amqp { get; }
    public bool HasActiveHealth => _prober is not null;
    internal ActiveHealthProber? Prober => _prober;

    /// Ready when some destination can take traffic and, with active checks, the first probes have answered.
    public bool IsReady => Amqp is { } broker ? broker.IsConnected : (_prober is null || _prober.CompletedFirstRound) && Destinations.Available.Length > 0;


    internal void Start()
    {
        _prober?.Start();
        Amqp?.Start();
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
        };
        if (definition.MaxConnectionsPerServer is { } max) handler.MaxConnectionsPerServer = max;
        return handler;
    }

    /// Everything that makes two definitions behave differently; equal fingerprints share one runtime.
    public static string FingerprintOf(ServiceDefinition d) => string.Join("|",
        d.Name, string.Join(",", d.Urls.Select(u => u.AbsoluteUri)), d.LoadBalancing, d.Health, d.PassiveHealth, d.Timeout.Ticks.ToString(CultureInfo.InvariantCulture),
        d.Retry is { } r ? $"{r.Attempts},{r.Backoff.Ticks},{r.MaxBackoff.Ticks},{string.Join(",", r.OnStatus)},{r.BudgetRatio},{r.BudgetMinPerSecond}" : "-",
        d.CircuitBreaker, d.ConnectTimeout.Ticks.ToString(CultureInfo.InvariantCulture), d.MaxConnectionsPerServer, d.Required, d.Protocol, AmqpFingerprint(d.Amqp),
        d.Grpc is { } g ? $"{string.Join(",", g.Protos)},{g.BaseDirectory},{g.EmitDefaults},{g.Schema?.Fingerprint}" : "-");

    /// The broker URI hashed: fingerprints hold no credentials.
    static string AmqpFingerprint(AmqpServiceDefinition? amqp) => amqp is null ? "-"
        : $"{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(amqp.Broker?.OriginalString ?? "")))},{amqp.RecoveryInterval.Ticks}";

    public async ValueTask DisposeAsync()
    {
        if (_prober is not null) await _prober.DisposeAsync().ConfigureAwait(false);
        Invoker.Dispose();
        Grpc?.Dispose();
        if (Amqp is not null) await Amqp.DisposeAsync().ConfigureAwait(false);
    }
}
