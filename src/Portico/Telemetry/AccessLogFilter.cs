using Portico.Configuration;

namespace Portico.Telemetry;

/// <summary>
/// Which requests get a line: the gateway's `accessLog` switch, its statuses and sample over the section's. Read
/// from the live config, so a reload changes them (the output itself is opened at start).
/// </summary>
/// <param name="Statuses">Only these statuses are logged; empty: all.</param>
/// <param name="Sample">The share of the requests logged (0..1).</param>
internal readonly record struct AccessLogFilter(IReadOnlyList<StatusRange> Statuses, double Sample)
{
    /// <summary>The filter of a gateway, or null when it logs nothing (no access log, or `accessLog: false`).</summary>
    public static AccessLogFilter? For(AccessLogDefinition? section, GatewayTelemetry? gateway)
    {
        if (section is null || gateway is { AccessLog: false }) return null;
        return new AccessLogFilter(gateway?.Statuses ?? section.Statuses, gateway?.Sample ?? section.Sample);
    }

    /// <summary>True when <paramref name="draw"/> (uniform in [0, 1)) falls in the sample: always at 1, never at 0.</summary>
    public bool Sampled(double draw) => Sample >= 1 || draw < Sample;

    /// <summary>True when the status is one of the listed ones, or no list is given.</summary>
    public bool Admits(int status)
    {
        if (Statuses.Count == 0) return true;
        foreach (var range in Statuses)
        {
            if (range.Contains(status)) return true;
        }
        return false;
    }
}
