using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Primitives;
using Portico.Configuration;
using Portico.Identity;

namespace Portico.Caching;

/// A route's cache policy, compiled once and attached as endpoint metadata for ASP.NET Core's output cache: GET and
/// HEAD only; the key is gateway + method + host + path + query (all parameters sorted, or the policy's list) +
/// the policy's `vary` headers, and on an authenticated route the caller, so one caller never gets another's
/// response. Concurrent misses for one key wait for the first (one upstream call).
internal sealed class RouteCachePolicy : IOutputCachePolicy
{
    readonly string _keyPrefix;
    readonly StringValues _query;
    readonly StringValues _vary;

    public RouteCachePolicy(CachePolicyDefinition definition, string gateway, string route, bool authenticated)
    {
        Definition = definition;
        Authenticated = authenticated;
        RouteTag = CacheTags.Route(route);
        _keyPrefix = gateway;
        _query = definition.Query is null ? new StringValues("*") : new StringValues([.. definition.Query]);
        _vary = new StringValues([.. definition.Vary]);
    }

    public CachePolicyDefinition Definition { get; }
    public bool Authenticated { get; }
    public string RouteTag { get; }

    /// Whether every header the upstream varies on is part of the key (else the cache could serve the wrong variant).
    public bool CoversVary(StringValues vary)
    {
        foreach (var value in vary)
        {
            if (value is null) continue;
            foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == "*") return false;
                var covered = false;
                foreach (var name in Definition.Vary) covered |= name.Equals(part, StringComparison.OrdinalIgnoreCase);
                if (!covered) return false;
            }
        }
        return true;
    }

    ValueTask IOutputCachePolicy.CacheRequestAsync(OutputCacheContext context, CancellationToken cancellation)
    {
        var http = context.HttpContext;
        context.EnableOutputCaching = true;
        var method = http.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
        {
            http.Response.Headers[CacheStatus.Header] = CacheStatus.Method;
            return default;
        }
        var rules = context.CacheVaryByRules;
        if (Authenticated)
        {
            if (http.Features.Get<GatewayIdentity>() is not { } identity)
            {
                http.Response.Headers[CacheStatus.Header] = CacheStatus.Bypass;
                return default;
            }
            rules.VaryByValues["caller"] = identity.Method + ":" + identity.CallerKey;
        }
        context.AllowCacheLookup = true;
        context.AllowCacheStorage = true;
        context.AllowLocking = true;
        context.ResponseExpirationTimeSpan = Definition.Ttl;
        rules.CacheKeyPrefix = _keyPrefix;
        rules.VaryByHost = true;
        rules.QueryKeys = _query;
        rules.HeaderNames = _vary;
        var state = new CacheRequestState(http, context, this);
        http.Features.Set(state);
        http.Response.OnStarting(CacheRequestState.MarkHit, state);
        return default;
    }

    ValueTask IOutputCachePolicy.ServeFromCacheAsync(OutputCacheContext context, CancellationToken cancellation) => default;

    ValueTask IOutputCachePolicy.ServeResponseAsync(OutputCacheContext context, CancellationToken cancellation)
    {
        // A response without a body never wrote through CacheHeadersStream: decide now (headers are still open).
        context.HttpContext.Features.Get<CacheRequestState>()?.BeforeBody();
        if (context.AllowCacheStorage)
        {
            context.Tags.Add(CacheTags.All);
            context.Tags.Add(RouteTag);
            CacheTags.AddPathTags(context.Tags, context.HttpContext.Request.Path.Value ?? "/");
        }
        return default;
    }
}
