using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Net.Http.Headers;

namespace Portico.Caching;

/// Per request on a cached route: decides, when the response's headers are final and before its body is written,
/// whether the output cache may keep it and for how long (the upstream's Cache-Control, cookies, status, Vary),
/// and writes Cache-Status. Kept as a typed feature for <see cref="CacheHeadersMiddleware"/>.
internal sealed class CacheRequestState(HttpContext http, OutputCacheContext cache, RouteCachePolicy policy)
{
    // RFC 9110 §15.1: statuses a cache may store without explicit freshness.
    static readonly int[] CacheableStatuses = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501];

    public bool Forwarded { get; private set; }

    public HttpContext Http => http;

    public void BeforeBody()
    {
        if (Forwarded) return;
        Forwarded = true;
        var response = http.Response;
        if (response.HasStarted || !cache.AllowCacheStorage) return;
        var definition = policy.Definition;
        var ttl = definition.Ttl;
        string? refusal = null;
        if (Array.IndexOf(CacheableStatuses, response.StatusCode) < 0) refusal = "status";
        else if (response.Headers.ContainsKey(HeaderNames.SetCookie)) refusal = "set-cookie";
        else if (!definition.IgnoreUpstreamCacheControl)
        {
            var directives = CacheControlDirectives.Parse(response.Headers.CacheControl);
            if (directives.NoStore) refusal = "no-store";
            else if (directives.Private) refusal = "private";
            else if (directives.NoCache) refusal = "no-cache";
            else if ((directives.SharedMaxAge ?? directives.MaxAge) is { } lifetime)
            {
                if (lifetime <= TimeSpan.Zero) refusal = "max-age";
                else if (lifetime < ttl) ttl = lifetime;
            }
        }
        if (refusal is null && !policy.CoversVary(response.Headers.Vary)) refusal = "vary";

        if (refusal is null)
        {
            cache.ResponseExpirationTimeSpan = ttl;
            response.Headers[CacheStatus.Header] = CacheStatus.Stored(ttl);
        }
        else
        {
            cache.AllowCacheStorage = false;
            response.Headers[CacheStatus.Header] = CacheStatus.NotStored(refusal);
        }
    }

    /// On a hit: the cached headers are in place by now, with the Age the output cache computed.
    public static readonly Func<object, Task> MarkHit = static state =>
    {
        var self = (CacheRequestState)state;
        if (self.Forwarded) return Task.CompletedTask;
        var headers = self.Http.Response.Headers;
        var stored = CacheStatus.StoredTtl(headers[CacheStatus.Header]);
        long.TryParse(headers.Age, out var age);
        headers[CacheStatus.Header] = CacheStatus.Hit(TimeSpan.FromSeconds(Math.Max(0, (stored ?? 0) - age)));
        return Task.CompletedTask;
    };
}
