using Microsoft.Extensions.Logging;
using Portico.Configuration;

namespace Portico.Services;

/// Owns service runtimes across reloads: unchanged services are reused; replaced ones are disposed once the
/// requests still using them have finished.
internal sealed partial class ServiceRegistry(TimeProvider time, ILoggerFactory loggers) : IAsyncDisposable
{
    readonly Dictionary<string, IServiceClientFactory> _clients = new(StringComparer.Ordinal);

    /// With the factories of the protocols' clients (gRPC channels, broker connections), by `protocol:`.
    internal ServiceRegistry(TimeProvider time, ILoggerFactory loggers, IEnumerable<IServiceClientFactory> clients, Telemetry.UpstreamMetrics? metrics = null) : this(time, loggers)
    {
        foreach (var factory in clients) _clients[factory.Protocol] = factory;
        _metrics = metrics;
        // The gauges read the live services at collection time.
        metrics?.Observe(() => Volatile.Read(ref _current).Values.SelectMany(BreakerOf), () => Volatile.Read(ref _current).Values.SelectMany(HealthOf));
    }

    static IEnumerable<Telemetry.UpstreamMetrics.BreakerReading> BreakerOf(ServiceRuntime service)
    {
        if (service.Resilience.BreakerState is not { } state) yield break;
        yield return new(service.Name, state.CircuitState switch
        {
            Polly.CircuitBreaker.CircuitState.Open or Polly.CircuitBreaker.CircuitState.Isolated => 1,
            Polly.CircuitBreaker.CircuitState.HalfOpen => 2,
            _ => 0,
        });
    }

    static IEnumerable<Telemetry.UpstreamMetrics.HealthReading> HealthOf(ServiceRuntime service)
    {
        var destinations = service.Destinations;
        foreach (var destination in destinations.All)
        {
            if (service.HasActiveHealth) yield return new(service.Name, destination.Url, "active", destination.ActiveHealthy);
            if (destinations.PassiveEnabled) yield return new(service.Name, destination.Url, "passive", !destinations.IsEjected(destination));
        }
    }

    readonly Telemetry.UpstreamMetrics? _metrics;

    readonly Lock _gate = new();
    Dictionary<string, ServiceRuntime> _current = new(StringComparer.Ordinal);
    readonly ILogger _logger = loggers.CreateLogger("Portico.Services");
    readonly List<Task> _retiring = [];

    /// Runtimes for a new config, reusing current ones by fingerprint. Nothing is started or retired yet.
    public Dictionary<string, ServiceRuntime> Prepare(IEnumerable<ServiceDefinition> services)
    {
        lock (_gate)
        {
            var next = new Dictionary<string, ServiceRuntime>(StringComparer.Ordinal);
            foreach (var definition in services)
            {
                next[definition.Name] = _current.TryGetValue(definition.Name, out var existing) && existing.Fingerprint == ServiceRuntime.FingerprintOf(definition)
                    ? existing
                    : new ServiceRuntime(definition, time, loggers, _clients.GetValueOrDefault(definition.Protocol), _metrics);
            }
            return next;
        }
    }

    /// Makes prepared runtimes current: starts new ones, retires the ones no longer used once
    /// <paramref name="retireAfter"/> completes (the snapshots that could still route to them have drained).
    public void Commit(Dictionary<string, ServiceRuntime> next, Task? retireAfter = null)
    {
        lock (_gate)
        {
            var reused = new HashSet<ServiceRuntime>(next.Values);
            foreach (var old in _current.Values.Where(o => !reused.Contains(o)))
                _retiring.Add(RetireAsync(old, retireAfter ?? Task.CompletedTask));
            foreach (var runtime in next.Values.Where(n => !_current.ContainsValue(n)))
                runtime.Start();
            _current = next;
        }
    }

    /// Disposes runtimes prepared for a config that was then rejected.
    public async ValueTask DiscardAsync(Dictionary<string, ServiceRuntime> prepared)
    {
        List<ServiceRuntime> unused;
        lock (_gate) unused = prepared.Values.Where(p => !_current.ContainsValue(p)).ToList();
        foreach (var runtime in unused) await runtime.DisposeAsync().ConfigureAwait(false);
    }

    async Task RetireAsync(ServiceRuntime runtime, Task retireAfter)
    {
        // Every request holds a lease on the snapshot it was routed with; once the older snapshots have drained
        // nothing can reach this runtime any more (bounded, in case a request never ends).
        await retireAfter.WaitAsync(TimeSpan.FromMinutes(10), time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        LogRetired(_logger, runtime.Name);
        await runtime.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Task[] retiring;
        ServiceRuntime[] current;
        lock (_gate)
        {
            retiring = [.. _retiring];
            current = [.. _current.Values];
            _current = [];
        }
        foreach (var runtime in current) await runtime.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(retiring).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Service {Service}: previous definition retired")]
    static partial void LogRetired(ILogger logger, string service);
}
