using System.Diagnostics.Metrics;

namespace Portico.RateLimiting;

/// Rate-limit instruments on the "Portico" meter.
internal sealed class RateLimitMetrics : IDisposable
{
    public const string MeterName = "Portico";

    readonly Meter _meter;
    readonly Counter<long> _decisions;
    readonly Counter<long> _fallbacks;

    public RateLimitMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _decisions = _meter.CreateCounter<long>("portico.rate_limit.decisions", "{request}", "Rate-limit decisions by policy and outcome (allowed, rejected).");
        _fallbacks = _meter.CreateCounter<long>("portico.rate_limit.store_fallbacks", "{request}", "Requests decided by onStoreDown because the rate-limit store was unreachable.");
    }

    /// The factory disposes its meters too; disposing twice is harmless.
    public void Dispose() => _meter.Dispose();

    public void Decided(string policy, bool allowed) =>
        _decisions.Add(1, new KeyValuePair<string, object?>("policy", policy), new KeyValuePair<string, object?>("outcome", allowed ? "allowed" : "rejected"));

    public void FellBack(string policy, string mode) =>
        _fallbacks.Add(1, new KeyValuePair<string, object?>("policy", policy), new KeyValuePair<string, object?>("on_store_down", mode));
}
