using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Primitives;
using Portico.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Caching;

/// A route's cache policy, compiled once and attached as endpoint metadata for ASP.NET Core's output cache: GET and
/// HEAD only, under the <see cref="CacheKey"/> (on an authenticated route it holds the caller, so one caller never
/// gets another's response). Concurrent misses for one key wait for the first (one upstream call).
internal sealed class RouteCachePolicy : IOutputCachePolicy
{
    public RouteCachePolicy(CachePolicyDefinition definition, string gateway, string route, bool authenticated)
    {
        Definition = definition;
        Authenticated = authenticated;
        RouteTag = CacheTags.Route(route);
        Gateway = gateway;
    }

    public CachePolicyDefinition Definition { get; }
    public string Gateway { get; }
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
        // Set by CacheLookupMiddleware for a request the cache may answer; any other goes straight to the handler.
        if (http.Features.Get<CacheLookup>() is not { } lookup) return default;
        context.EnableOutputCaching = true;
        context.AllowCacheLookup = true;
        context.AllowCacheStorage = true;
        context.AllowLocking = true;
        context.ResponseExpirationTimeSpan = Definition.Ttl;
        // The key holds host, query, vary headers and caller already; the output cache adds method and path again.
        var rules = context.CacheVaryByRules;
        rules.CacheKeyPrefix = lookup.Key;
        rules.VaryByHost = false;
        var state = new CacheRequestState(http, context, this, lookup);
        http.Features.Set(state);
        http.Response.OnStarting(CacheRequestState.MarkHit, state);
        return default;
    }

    ValueTask IOutputCachePolicy.ServeFromCacheAsync(OutputCacheContext context, CancellationToken cancellation) => default;

    ValueTask IOutputCachePolicy.ServeResponseAsync(OutputCacheContext context, CancellationToken cancellation)
    {
        // A response without a body never wrote through CacheHeadersStream: decide now (headers are still open).
        var http = context.HttpContext;
        var state = http.Features.Get<CacheRequestState>();
        state?.BeforeBody();
        // An upstream that failed mid-body (the forwarder reports it, then aborts the connection): what arrived is not
        // the response. The abort's cancellation is raised on another thread, so the forwarder's report decides.
        if (http.Features.Get<IForwarderErrorFeature>() is { Error: not ForwarderError.None } || http.RequestAborted.IsCancellationRequested)
            context.AllowCacheStorage = false;
        if (context.AllowCacheStorage)
        {
            context.Tags.Add(CacheTags.All);
            context.Tags.Add(RouteTag);
            CacheTags.AddPathTags(context.Tags, http.Request.Path.Value ?? "/");
        }
        state?.Complete(context.Tags);
        return default;
    }
}
