using System.Diagnostics.Metrics;

namespace Portico.Telemetry;

/// Portico's own instruments on the "Portico" meter. Recording costs a check while nothing listens (no exporter).
internal sealed class PorticoMetrics : IDisposable
{
    readonly Meter _meter;
    readonly UpDownCounter<long> _activeRequests;
    readonly Counter<long> _reloads;

    public PorticoMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(PorticoDiagnostics.MeterName, PorticoDiagnostics.ServiceVersion);
        _activeRequests = _meter.CreateUpDownCounter<long>("portico.requests.active", "{request}",
            "Requests a route is serving now, by gateway, route and method.");
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

    public void RequestStarted(EndpointTelemetry endpoint, string method) =>
        _activeRequests.Add(1, endpoint.GatewayTag, endpoint.RouteTag, new KeyValuePair<string, object?>(TagNames.Method, method));

    public void RequestEnded(EndpointTelemetry endpoint, string method) =>
        _activeRequests.Add(-1, endpoint.GatewayTag, endpoint.RouteTag, new KeyValuePair<string, object?>(TagNames.Method, method));
}
