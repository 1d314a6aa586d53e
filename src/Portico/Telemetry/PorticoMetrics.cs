using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Portico.Telemetry;

/// Portico's own instruments on the "Portico" meter. Recording costs a check while nothing listens (no exporter).
internal sealed class PorticoMetrics : IDisposable
{
    readonly Meter _meter;
    readonly ObservableUpDownCounter<long> _activeRequests;
    readonly Counter<long> _reloads;
    readonly ConcurrentDictionary<(string Gateway, string Route), RouteActivity> _routes = new();

    public PorticoMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(PorticoDiagnostics.MeterName, PorticoDiagnostics.ServiceVersion);
        // Counted with an interlocked add per request and read at collection: recording an UpDownCounter twice
        // per request through the SDK cost several times more (bench: metrics on vs off).
        _activeRequests = _meter.CreateObservableUpDownCounter("portico.requests.active", ActiveRequests, "{request}",
            "Requests a route is serving now, by gateway and route.");
        _reloads = _meter.CreateCounter<long>("portico.config.reloads", "{reload}",
            "Configurations applied (the first one included) and refused, by result.");
    }

    /// A config was applied, or refused (the running one stays).
    public void ConfigReloaded(bool applied) =>
        _reloads.Add(1, new KeyValuePair<string, object?>("portico.config.result", applied ? "applied" : "rejected"));

    /// Reports the live config version (1 for the first one applied; 0 before any).
    public void ObserveConfigVersion(Func<long> version) =>
        _meter.CreateObservableGauge("portico.config.version", version, "{version}", "The version of the configuration being served.");

    public Meter Meter => _meter;

    /// The factory disposes its meters too; disposing twice is harmless.
    public void Dispose() => _meter.Dispose();

    public bool ActiveRequestsEnabled => _activeRequests.Enabled;

    /// The in-flight count of a gateway's route, the same object across reloads (requests routed by an older
    /// snapshot still end on it).
    public RouteActivity ActivityOf(string gateway, string route) =>
        _routes.GetOrAdd((gateway, route), static key => new RouteActivity(key.Gateway, key.Route));

    /// Forgets the routes a new config no longer has, once nothing runs on them.
    public void Retain(IReadOnlySet<(string Gateway, string Route)> live)
    {
        foreach (var (key, activity) in _routes)
        {
            if (!live.Contains(key) && activity.Count == 0) _routes.TryRemove(new KeyValuePair<(string, string), RouteActivity>(key, activity));
        }
    }

    IEnumerable<Measurement<long>> ActiveRequests()
    {
        foreach (var activity in _routes.Values) yield return new Measurement<long>(activity.Count, activity.Tags);
    }
}

/// Requests in flight on one gateway's route.
internal sealed class RouteActivity(string gateway, string route)
{
    int _count;

    public KeyValuePair<string, object?>[] Tags { get; } = [new(TagNames.Gateway, gateway), new(TagNames.Route, route)];

    public int Count => Volatile.Read(ref _count);

    public void Enter() => Interlocked.Increment(ref _count);

    public void Leave() => Interlocked.Decrement(ref _count);
}
