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

    public static string ServiceVersion => Version;
}
