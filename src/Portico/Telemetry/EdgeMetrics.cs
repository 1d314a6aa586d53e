using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;

namespace Portico.Telemetry;

/// <summary>
/// The instruments of the gateway's edge steps (auth, rate limits, cache, access log) on the "Portico" meter; each
/// call also records the step's outcome on the request's <see cref="RequestTelemetry"/>, so the access log and the
/// metrics tell the same story. Tag values are fixed phrases or config names, never credential text.
/// </summary>
internal sealed class EdgeMetrics : IDisposable
{
    /// <summary>Attribute names of these instruments (docs/observability.md, "Metrics: edge").</summary>
    public const string PolicyTag = "portico.rate_limit.policy";
    public const string SchemeTag = "portico.auth.scheme";
    public const string ReasonTag = "portico.auth.reason";

    readonly Meter _meter;
    readonly Counter<long> _rateLimitDecisions;
    readonly Counter<long> _cacheLookups;
    readonly Counter<long> _cacheStores;
    readonly Counter<long> _authAttempts;
    readonly Counter<long> _accessLogDropped;

    public EdgeMetrics(IMeterFactory meters)
    {
        // The factory hands back the meter PorticoMetrics uses (same name and version).
        _meter = meters.Create(PorticoDiagnostics.MeterName, PorticoDiagnostics.ServiceVersion);
        _rateLimitDecisions = _meter.CreateCounter<long>("portico.rate_limit.decisions", "{request}",
            "Rate-limit decisions the store gave, by policy, route and outcome (admitted, limited).");
        _cacheLookups = _meter.CreateCounter<long>("portico.cache.lookups", "{request}",
            "Requests on cached routes, by route and outcome (hit, stale, miss, bypass).");
        _cacheStores = _meter.CreateCounter<long>("portico.cache.stores", "{response}", "Responses kept in the cache, by route.");
        _authAttempts = _meter.CreateCounter<long>("portico.auth.attempts", "{request}",
            "Authentications on routes that require it, by scheme, outcome (success, failure) and failure reason.");
        _accessLogDropped = _meter.CreateCounter<long>("portico.access_log.dropped", "{line}",
            "Access log lines dropped because the writer's queue was full.");
    }

    /// <summary>The factory disposes its meters too; disposing twice is harmless.</summary>
    public void Dispose() => _meter.Dispose();

    /// <summary>A rate-limit decision the store gave: admitted or limited.</summary>
    public void RateLimitDecided(HttpContext context, string policy, bool admitted)
    {
        var outcome = admitted ? RateLimitOutcomes.Admitted : RateLimitOutcomes.Limited;
        if (RequestTelemetry.Of(context) is { } request) request.RateLimit = outcome;
        if (_rateLimitDecisions.Enabled)
            _rateLimitDecisions.Add(1, new KeyValuePair<string, object?>(PolicyTag, policy), RouteTag(context), new KeyValuePair<string, object?>(TagNames.Outcome, outcome));
    }

    /// <summary>A request decided by onStoreDown because the store was unreachable (counted by portico.rate_limit.store_fallbacks).</summary>
    public static void RateLimitFellBack(HttpContext context)
    {
        if (RequestTelemetry.Of(context) is { } request) request.RateLimit = RateLimitOutcomes.Fallback;
    }

    /// <summary>What the cache did with a request: one of <see cref="CacheOutcomes"/> hit, stale, miss or bypass.</summary>
    public void CacheLookedUp(HttpContext context, string outcome)
    {
        if (RequestTelemetry.Of(context) is { } request) request.Cache = outcome;
        if (_cacheLookups.Enabled) _cacheLookups.Add(1, RouteTag(context), new KeyValuePair<string, object?>(TagNames.Outcome, outcome));
    }

    /// <summary>A forwarded response the cache decided to keep.</summary>
    public void CacheStored(HttpContext context)
    {
        if (RequestTelemetry.Of(context) is { } request) request.Cache = CacheOutcomes.Stored;
        if (_cacheStores.Enabled) _cacheStores.Add(1, RouteTag(context));
    }

    /// <summary>An authentication that succeeded: the caller's id and scheme go on the request's telemetry.</summary>
    public void AuthSucceeded(HttpContext context, string scheme, string consumerId)
    {
        if (RequestTelemetry.Of(context) is { } request)
        {
            request.AuthScheme = scheme;
            request.ConsumerId = consumerId;
        }
        if (_authAttempts.Enabled)
            _authAttempts.Add(1, new KeyValuePair<string, object?>(SchemeTag, scheme), new KeyValuePair<string, object?>(TagNames.Outcome, "success"));
    }

    /// <summary>An authentication that failed, with the scheme tried and a fixed reason (<see cref="AuthReasons"/>).</summary>
    public void AuthFailed(HttpContext context, string scheme, string reason)
    {
        if (RequestTelemetry.Of(context) is { } request) request.AuthScheme = scheme;
        if (_authAttempts.Enabled)
        {
            _authAttempts.Add(1, new KeyValuePair<string, object?>(SchemeTag, scheme), new KeyValuePair<string, object?>(TagNames.Outcome, "failure"),
                new KeyValuePair<string, object?>(ReasonTag, reason));
        }
    }

    /// <summary>Access log lines dropped because the queue was full.</summary>
    public void AccessLogDropped(long lines) => _accessLogDropped.Add(lines);

    static KeyValuePair<string, object?> RouteTag(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<EndpointTelemetry>()?.RouteTag ?? new KeyValuePair<string, object?>(TagNames.Route, "");
}

/// <summary>The values of the access log's `rate_limit` field and the decisions' `portico.outcome`.</summary>
internal static class RateLimitOutcomes
{
    public const string Admitted = "admitted";
    public const string Limited = "limited";
    public const string Fallback = "fallback";
}

/// <summary>The values of the access log's `cache` field and the lookups' `portico.outcome`.</summary>
internal static class CacheOutcomes
{
    public const string Hit = "hit";
    public const string Stale = "stale";
    public const string Miss = "miss";
    public const string Bypass = "bypass";
    public const string Stored = "stored";
}

/// <summary>The values of `portico.auth.reason`: why an authentication failed, as a fixed class.</summary>
internal static class AuthReasons
{
    public const string Missing = "missing";
    public const string Invalid = "invalid";
    public const string Expired = "expired";
    public const string Forbidden = "forbidden";
    public const string Unavailable = "unavailable";
}
