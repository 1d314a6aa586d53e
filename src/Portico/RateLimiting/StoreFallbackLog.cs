using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Portico.Configuration;

namespace Portico.RateLimiting;

/// Reports onStoreDown fallbacks: a metric every time, a log line at most every few seconds per policy (with
/// how many fallbacks it stands for), and one line when the store answers again.
internal sealed partial class StoreFallbackLog(ILogger<StoreFallbackLog> logger, RateLimitMetrics metrics, TimeProvider time)
{
    sealed class State
    {
        public volatile bool Down;
        public readonly Http.LogThrottle Log = new(Http.LogThrottle.Default);
    }

    readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    public void FellBack(RateLimitDefinition policy, string? error)
    {
        var mode = policy.OnStoreDown == StoreDownMode.Allow ? "allow" : "deny";
        metrics.FellBack(policy.Name, mode);
        var state = _states.GetOrAdd(policy.Name, static _ => new State());
        state.Down = true;
        if (state.Log.TryEnter(time, out var count)) LogFallback(logger, policy.Name, mode, count, error ?? "unknown");
    }

    public void Answered(RateLimitDefinition policy)
    {
        if (!_states.TryGetValue(policy.Name, out var state) || !state.Down) return;
        lock (state)
        {
            if (!state.Down) return;
            state.Down = false;
            state.Log.Reset();
        }
        LogRecovered(logger, policy.Name);
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Rate limit store unreachable: policy {Policy} uses onStoreDown {Mode} ({Count} requests since the last line): {Error}")]
    static partial void LogFallback(ILogger logger, string policy, string mode, long count, string error);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Rate limit store reachable again: policy {Policy} counts in the store")]
    static partial void LogRecovered(ILogger logger, string policy);
}
