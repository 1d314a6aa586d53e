using System.Diagnostics;

namespace Portico.Telemetry;

/// The names Portico's instruments and spans are published under (docs/observability.md lists them).
internal static class PorticoDiagnostics
{
    /// The meter of Portico's own instruments.
    public const string MeterName = "Portico";

    /// The activity source of Portico's spans: one server span per request, one client span per upstream call.
    public const string ActivitySourceName = "Portico";

    static readonly string Version = typeof(PorticoDiagnostics).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// Spans are made only while something listens (tracing on); otherwise StartActivity returns null and costs a check.
    public static readonly ActivitySource Source = new(ActivitySourceName, Version);

    /// Meters of the platform exported beside Portico's: requests (duration, active), Kestrel connections,
    /// HttpClient calls and the .NET runtime (GC, thread pool, exceptions).
    public static readonly string[] PlatformMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Diagnostics",
        "System.Net.Http",
        "System.Runtime",
    ];

    /// Platform instruments recorded per request that Portico's own replace: portico.requests.active (per route)
    /// for the process-wide active count, portico.upstream.request.duration (per service, destination and
    /// outcome) for HttpClient's per-request ones. HttpClient's connection instruments stay.
    public static readonly string[] DroppedPlatformInstruments =
    [
        "http.server.active_requests",
        "http.client.request.duration",
        "http.client.request.time_in_queue",
        "http.client.active_requests",
    ];

    public static string ServiceVersion => Version;
}
