using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Portico.Caching;

/// Per request on a cached route that missed: decides, when the response's headers are final and before its body is
/// written, whether it may be kept and for how long (the upstream's Cache-Control, cookies, status, Vary), and writes
/// Cache-Status; with the memory store it also keeps a copy of the body as it passes and stores the response once the
/// handler is done. Kept as a typed feature for <see cref="CacheHeadersMiddleware"/>.
internal sealed class CacheRequestState
{
    // RFC 9110 §15.1: statuses a cache may store without explicit freshness.
    static readonly int[] CacheableStatuses = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501];

    // Not kept with an entry: made anew on every hit, or the connection's own.
    static readonly HashSet<string> Unstored = new(StringComparer.OrdinalIgnoreCase)
    {
        HeaderNames.Age, CacheStatus.Header, HeaderNames.TransferEncoding, HeaderNames.Connection, HeaderNames.KeepAlive,
    };

    readonly HttpContext _http;
    readonly OutputCacheContext _cache;
    readonly RouteCachePolicy _policy;
    readonly CacheLookup _lookup;
    // Headers the gateway set before the cache (rate-limit state, Vary: Accept…): this request's, not the entry's.
    readonly KeyValuePair<string, StringValues>[] _gatewayHeaders;
    byte[]? _body;
    int _bodyLength;
    Http.BudgetShare? _share;
    bool _bodyTooLarge;
    DateTimeOffset _created;

    public CacheRequestState(HttpContext http, OutputCacheContext cache, RouteCachePolicy policy, CacheLookup lookup)
    {
        _http = http;
        _cache = cache;
        _policy = policy;
        _lookup = lookup;
        var headers = http.Response.Headers;
        _gatewayHeaders = headers.Count == 0 ? [] : [.. headers];
    }

    public bool Forwarded { get; private set; }

    public void BeforeBody()
    {
        if (Forwarded) return;
        Forwarded = true;
        _lookup.Metrics.CacheLookedUp(_http, Telemetry.CacheOutcomes.Miss);
        var response = _http.Response;
        if (response.HasStarted || !_cache.AllowCacheStorage) return;
        var definition = _policy.Definition;
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
        // A Vary the gateway set itself (Vary: Accept for XML, converted after the cache) does not split entries.
        var vary = response.Headers.Vary;
        if (refusal is null && !IsGatewayHeader(new(HeaderNames.Vary, vary)) && !_policy.CoversVary(vary)) refusal = "vary";

        if (refusal is null)
        {
            _cache.ResponseExpirationTimeSpan = ttl;
            response.Headers[CacheStatus.Header] = CacheStatus.Stored(ttl);
            _lookup.Metrics.CacheStored(_http);
            _created = _lookup.Store.Time.GetUtcNow();
            if (_lookup.Local is not null)
            {
                _body = ArrayPool<byte>.Shared.Rent(4096);
                _share = Http.BufferedBodyBudget.For(_http);
            }
        }
        else
        {
            _cache.AllowCacheStorage = false;
            response.Headers[CacheStatus.Header] = CacheStatus.NotStored(refusal);
        }
    }

    /// A piece of the body on its way to the client, kept for the memory store.
    public void Captured(ReadOnlySpan<byte> data)
    {
        if (_body is null || _bodyTooLarge) return;
        // Over the size limit, or no room in the process for the copy: the response is served, just not stored.
        if (_bodyLength + data.Length > _lookup.Store.MaxBodySize || (_share is not null && !_share.TryTake(data.Length)))
        {
            _bodyTooLarge = true;
            _cache.AllowCacheStorage = false;
            ArrayPool<byte>.Shared.Return(_body);
            _body = null;
            return;
        }
        if (_bodyLength + data.Length > _body.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_body.Length * 2, _bodyLength + data.Length));
            _body.AsSpan(0, _bodyLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_body);
            _body = bigger;
        }
        data.CopyTo(_body.AsSpan(_bodyLength));
        _bodyLength += data.Length;
    }

    /// After the handler, with the memory store: keeps the response when it may be stored and its body arrived whole.
    public void Complete(ISet<string> tags)
    {
        if (_body is not { } buffer) return;
        _body = null;
        try
        {
            if (_lookup.Local is not { } local || !_cache.AllowCacheStorage || _bodyTooLarge) return;
            var response = _http.Response;
            var isHead = HttpMethods.IsHead(_http.Request.Method);
            // As the output cache does: a body shorter or longer than announced is not kept.
            if (response.ContentLength is { } announced && announced != _bodyLength && !(isHead && _bodyLength == 0)) return;
            var body = buffer.AsSpan(0, _bodyLength).ToArray();
            local.Set(_lookup.Key, new CachedResponse(response.StatusCode, StoredHeaders(response, body.Length, isHead), body, _created,
                _cache.ResponseExpirationTimeSpan ?? _policy.Definition.Ttl, [.. tags]));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    KeyValuePair<string, StringValues>[] StoredHeaders(HttpResponse response, int bodyLength, bool isHead)
    {
        var stored = new List<KeyValuePair<string, StringValues>>(response.Headers.Count + 2);
        foreach (var header in response.Headers)
        {
            if (Unstored.Contains(header.Key) || IsGatewayHeader(header)) continue;
            stored.Add(header);
        }
        if (response.ContentLength is null && !isHead) stored.Add(new(HeaderNames.ContentLength, bodyLength.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        // The time the response was made, which Age counts from.
        if (!response.Headers.ContainsKey(HeaderNames.Date)) stored.Add(new(HeaderNames.Date, HeaderUtilities.FormatDate(_created)));
        return [.. stored];
    }

    bool IsGatewayHeader(KeyValuePair<string, StringValues> header)
    {
        foreach (var (name, value) in _gatewayHeaders)
        {
            if (name.Equals(header.Key, StringComparison.OrdinalIgnoreCase)) return value == header.Value;
        }
        return false;
    }

    /// On a hit the output cache served (the Redis store, or a request that waited for another's response), or a miss it
    /// answered without forwarding (`only-if-cached`): the
    /// entry's headers are in place by now, with the Age the output cache computed. The gateway's own headers are put
    /// back to this request's values (the entry holds those of the request that stored it).
    public static readonly Func<object, Task> MarkHit = static state =>
    {
        var self = (CacheRequestState)state;
        if (self.Forwarded) return Task.CompletedTask;
        var headers = self._http.Response.Headers;
        foreach (var (name, value) in self._gatewayHeaders) headers[name] = value;
        var stored = CacheStatus.StoredTtl(headers[CacheStatus.Header]);
        // No entry's headers: the output cache answered a miss itself (504 to `only-if-cached`), so no hit.
        if (stored is null && self._http.Response.StatusCode == StatusCodes.Status504GatewayTimeout)
        {
            headers[CacheStatus.Header] = CacheStatus.OnlyIfCachedMiss;
            self._lookup.Metrics.CacheLookedUp(self._http, Telemetry.CacheOutcomes.Miss);
            return Task.CompletedTask;
        }
        self._lookup.Metrics.CacheLookedUp(self._http, Telemetry.CacheOutcomes.Hit);
        long.TryParse(headers.Age, out var age);
        headers[CacheStatus.Header] = CacheStatus.Hit(TimeSpan.FromSeconds(Math.Max(0, (stored ?? 0) - age)));
        return Task.CompletedTask;
    };
}
