using System.Diagnostics.Metrics;

namespace Portico.RateLimiting;

/// The store fallback counter on the "Portico" meter (the decisions are counted by Telemetry.EdgeMetrics).
internal sealed class RateLimitMetrics : IDisposable
{
    readonly Meter _meter;
    readonly Counter<long> _fallbacks;

    public RateLimitMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(Telemetry.PorticoDiagnostics.MeterName, Telemetry.PorticoDiagnostics.ServiceVersion);
        _fallbacks = _meter.CreateCounter<long>("portico.rate_limit.store_fallbacks", "{request}", "Requests decided by onStoreDown because the rate-limit store was unreachable.");
    }

    /// The factory disposes its meters too; disposing twice is harmless.
    public void Dispose() => _meter.Dispose();

    public void FellBack(string policy, string mode) =>
        _fallbacks.Add(1, new KeyValuePair<string, object?>("policy", policy), new KeyValuePair<string, object?>("on_store_down", mode));
}
