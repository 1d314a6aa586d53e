using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Portico.Telemetry;

/// <summary>
/// W3C trace context in and out, through one propagator (<see cref="DistributedContextPropagator.Current"/>, the
/// platform's, which an embedding app may replace): read from a client's headers at the edge, written for an
/// upstream as the client span's context, replacing whatever trace headers the request carried so the upstream
/// sees exactly one.
/// </summary>
internal static class TraceContext
{
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    /// A tracestate longer than this is dropped (W3C allows 32 members; 512 characters is what tracers keep).
    public const int MaxTraceStateLength = 512;

    /// The trace headers a client may send; an untrusting gateway removes them all.
    public static readonly string[] ClientHeaders = [TraceParent, TraceState, "baggage", "Request-Id", "Correlation-Context"];

    /// The client's trace context, when its traceparent is one well-formed W3C value (one header, version 00
    /// layout, lowercase hex, non-zero ids); its tracestate only when short and printable.
    public static bool TryExtract(IHeaderDictionary headers, out ActivityContext context)
    {
        context = default;
        if (headers.TryGetValue(TraceParent, out var values) && values.Count != 1) return false;
        DistributedContextPropagator.Current.ExtractTraceIdAndState(headers, static (object? carrier, string name, out string? value, out IEnumerable<string>? values) =>
        {
            values = null;
            value = carrier is IHeaderDictionary h && h.TryGetValue(name, out var v) && v.Count == 1 ? v[0] : null;
        }, out var traceParent, out var traceState);
        if (traceParent is null) return false;
        if (traceState is not null && (traceState.Length > MaxTraceStateLength || !Printable(traceState))) traceState = null;
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out context);
    }

    static bool Printable(string text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or > '~') return false;
        }
        return true;
    }

    /// Replaces the message's trace headers with <paramref name="span"/>'s context; without a span they stay as they are.
    public static void Inject(Activity? span, HttpRequestMessage message)
    {
        if (span is null) return;
        message.Headers.Remove(TraceParent);
        message.Headers.Remove(TraceState);
        DistributedContextPropagator.Current.Inject(span, message, static (carrier, name, value) =>
        {
            if (carrier is HttpRequestMessage m && value is not null && IsTraceField(name))
            {
                m.Headers.Remove(name);
                m.Headers.TryAddWithoutValidation(name, value);
            }
        });
    }

    /// Sets <paramref name="span"/>'s context in a string map (gRPC metadata, message headers) through <paramref name="set"/>.
    public static void Inject<TCarrier>(Activity? span, TCarrier carrier, Action<TCarrier, string, string> set)
    {
        if (span is null) return;
        DistributedContextPropagator.Current.Inject(span, (carrier, set), static (state, name, value) =>
        {
            if (state is ValueTuple<TCarrier, Action<TCarrier, string, string>> s && value is not null && IsTraceField(name)) s.Item2(s.Item1, name, value);
        });
    }

    // Baggage is the client's, passed on as it came; only the span's own context is written.
    static bool IsTraceField(string? name) => name is TraceParent or TraceState;
}
