using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Portico.Identity;
using Portico.Telemetry;

namespace Portico.Caching;

/// In front of the output cache on cached routes: works out whether the request may be answered from the cache and
/// its key, and with the memory store serves a fresh entry itself, copying out the status, headers and body kept
/// when it was stored. Misses (and the Redis store) go on to the output cache, which locks so that concurrent
/// misses make one upstream call, and stores what comes back.
internal sealed class CacheLookupMiddleware(RequestDelegate next, PorticoCacheStore store, EdgeMetrics metrics)
{
    // RFC 9110 §15.4.5: what a 304 carries of the response it stands for.
    static readonly string[] NotModifiedHeaders =
        [HeaderNames.CacheControl, HeaderNames.ContentLocation, HeaderNames.Date, HeaderNames.ETag, HeaderNames.Expires, HeaderNames.Vary];

    // Routes without a cache policy pass straight through: no async frame on the hot path.
    public Task InvokeAsync(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RouteCachePolicy>() is { } policy ? LookupAsync(context, policy) : next(context);

    Task LookupAsync(HttpContext context, RouteCachePolicy policy)
    {
        var method = context.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
        {
            context.Response.Headers[CacheStatus.Header] = CacheStatus.Method;
            metrics.CacheLookedUp(context, CacheOutcomes.Bypass);
            return next(context);
        }
        // What the key does not cover must not be answered from, nor stored under, the key: a body, or a header that
        // makes a service act on another method or URL (a poisoned entry would be served to every clean client).
        if (UncoveredInput(context.Request) is { } bypass)
        {
            context.Response.Headers[CacheStatus.Header] = bypass;
            metrics.CacheLookedUp(context, CacheOutcomes.Bypass);
            return next(context);
        }
        GatewayIdentity? caller = null;
        if (policy.Authenticated && (caller = context.Features.Get<GatewayIdentity>()) is null)
        {
            context.Response.Headers[CacheStatus.Header] = CacheStatus.Bypass;
            metrics.CacheLookedUp(context, CacheOutcomes.Bypass);
            return next(context);
        }
        var local = store.Local;
        var key = new KeyWriter(stackalloc char[256]);
        try
        {
            CacheKey.Write(ref key, policy, context, caller);
            if (local is not null)
            {
                var now = store.Time.GetUtcNow();
                if (local.TryGet(key.Written, now, out var entry))
                {
                    metrics.CacheLookedUp(context, CacheOutcomes.Hit);
                    return ServeAsync(context, entry, now);
                }
            }
            context.Features.Set(new CacheLookup(key.ToString(), store, local, metrics));
        }
        finally
        {
            key.Dispose();
        }
        return next(context);
    }

    static string? UncoveredInput(HttpRequest request)
    {
        if (request.ContentLength > 0 || request.Headers.ContainsKey(HeaderNames.TransferEncoding)) return CacheStatus.BypassBody;
        foreach (var name in Proxy.ClientHeaderFilter.OverrideHeaders)
        {
            if (request.Headers.ContainsKey(name)) return CacheStatus.BypassOverride;
        }
        return null;
    }

    static Task ServeAsync(HttpContext context, CachedResponse entry, DateTimeOffset now)
    {
        var response = context.Response;
        var headers = response.Headers;
        var hit = entry.HitAt(now);
        if (IsNotModified(context.Request, entry))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            foreach (var name in NotModifiedHeaders)
            {
                if (entry.TryFindHeader(name, out var values)) headers[name] = values;
            }
            headers[CacheStatus.Header] = hit.CacheStatus;
            return Task.CompletedTask;
        }
        response.StatusCode = entry.StatusCode;
        foreach (var (name, values) in entry.Headers) headers[name] = values;
        headers.Age = hit.Age;
        headers[CacheStatus.Header] = hit.CacheStatus;
        var body = entry.Body;
        return body.Length == 0 || HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }

    /// A conditional GET the entry satisfies (RFC 9110 §13.1.2, §13.1.3): If-None-Match, else If-Modified-Since.
    static bool IsNotModified(HttpRequest request, CachedResponse entry)
    {
        var headers = request.Headers;
        var ifNoneMatch = headers.IfNoneMatch;
        if (!StringValues.IsNullOrEmpty(ifNoneMatch))
        {
            if (ifNoneMatch.Count == 1 && ifNoneMatch[0]?.Trim() == "*") return true;
            if (!entry.TryFindHeader(HeaderNames.ETag, out var raw) || !EntityTagHeaderValue.TryParse(raw.ToString(), out var etag)) return false;
            if (!EntityTagHeaderValue.TryParseList(ifNoneMatch, out var candidates)) return false;
            foreach (var candidate in candidates)
            {
                if (etag.Compare(candidate, useStrongComparison: false)) return true;
            }
            return false;
        }
        var ifModifiedSince = headers.IfModifiedSince;
        if (StringValues.IsNullOrEmpty(ifModifiedSince)) return false;
        if (!(entry.TryFindHeader(HeaderNames.LastModified, out var lastModified) && HeaderUtilities.TryParseDate(lastModified.ToString(), out var modified))
            && !(entry.TryFindHeader(HeaderNames.Date, out var date) && HeaderUtilities.TryParseDate(date.ToString(), out modified)))
            return false;
        return HeaderUtilities.TryParseDate(ifModifiedSince.ToString(), out var since) && modified <= since;
    }
}
