using Microsoft.AspNetCore.Http;

namespace Portico.Telemetry;

/// <summary>
/// What the gateway learned about one request, filled in by the steps that learn it (route, auth, rate limit,
/// cache, upstream call) and read at the end by the access log and the server span. One per request on the
/// gateways' listeners; values are bounded, fixed phrases or config names, never credential text.
/// </summary>
internal sealed class RequestTelemetry
{
    public static RequestTelemetry? Of(HttpContext context) => context.Features.Get<RequestTelemetry>();

    /// <summary>When the gateway took the request (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long StartTimestamp { get; init; }

    /// <summary>The request id (valid from the client, or made), or null with request ids off.</summary>
    public string? RequestId { get; set; }

    /// <summary>The header the request id travels in (telemetry.requestId.header), to the upstreams and back.</summary>
    public string? RequestIdHeader { get; set; }

    public string? Gateway { get; set; }
    public string? Route { get; set; }

    /// <summary>The authenticated consumer (API key consumer, JWT subject, session user, Basic user) and its scheme.</summary>
    public string? ConsumerId { get; set; }
    public string? AuthScheme { get; set; }

    /// <summary>admitted / limited / fallback (store down), or null when no limit applied.</summary>
    public string? RateLimit { get; set; }

    /// <summary>hit / stale / miss / bypass / stored, or null when the route has no cache.</summary>
    public string? Cache { get; set; }

    /// <summary>The upstream service and destination (scheme://host:port) of the last upstream call, and its status.</summary>
    public string? Service { get; set; }
    public string? Destination { get; set; }
    public int? UpstreamStatus { get; set; }

    /// <summary>Why the request failed, as a fixed class (timeout, connect, circuit_open, upstream_5xx, auth, rate_limited, …).</summary>
    public string? ErrorType { get; set; }
}
