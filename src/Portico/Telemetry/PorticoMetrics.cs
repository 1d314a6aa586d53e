using System.Diagnostics.Metrics;

namespace Portico.Telemetry;

/// Portico's own instruments on the "Portico" meter. Recording costs a check while nothing listens (no exporter).
internal sealed class PorticoMetrics : IDisposable
{
    readonly Meter _meter;
    readonly UpDownCounter<long> _activeRequests;

    public PorticoMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(PorticoDiagnostics.MeterName, PorticoDiagnostics.ServiceVersion);
        _activeRequests = _meter.CreateUpDownCounter<long>("portico.requests.active", "{request}",
            "Requests a route is serving now, by gateway, route and method.");
    }

    public Meter Meter => _meter;

    /// The factory disposes its meters too; disposing twice is harmless.
    public void Dispose() => _meter.Dispose();

    public bool ActiveRequestsEnabled => _activeRequests.Enabled;

    public void RequestStarted(EndpointTelemetry endpoint, string method) =>
        _activeRequests.Add(1, endpoint.GatewayTag, endpoint.RouteTag, new KeyValuePair<string, object?>(TagNames.Method, method));

    public void RequestEnded(EndpointTelemetry endpoint, string method) =>
        _activeRequests.Add(-1, endpoint.GatewayTag, endpoint.RouteTag, new KeyValuePair<string, object?>(TagNames.Method, method));
}
