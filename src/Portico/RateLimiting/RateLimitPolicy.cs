using System.Globalization;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Http;
using Portico.Identity;

namespace Portico.RateLimiting;

/// A compiled `rateLimits` entry: its counter (memory or Redis) and the precomputed RateLimit-Policy header.
internal sealed class RateLimitPolicy(RateLimitDefinition definition, IRateLimitCounter counter, bool usesStore)
{
    public RateLimitDefinition Definition { get; } = definition;
    public IRateLimitCounter Counter { get; } = counter;

    /// The counter lives in Redis, so onStoreDown applies.
    public bool UsesStore { get; } = usesStore;

    /// RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers-09): quota q per window w seconds.
    public string PolicyHeader { get; } = definition.Algorithm == RateLimitAlgorithm.Concurrency
        ? $"\"{definition.Name}\";q={definition.Limit}"
        : string.Create(CultureInfo.InvariantCulture, $"\"{definition.Name}\";q={definition.Limit};w={Math.Max(1, (long)Math.Ceiling(definition.Window.TotalSeconds))}");

    public string RateLimitHeader(RateLimitDecision decision)
    {
        var remaining = Math.Max(0, decision.Remaining ?? 0);
        return decision.Reset is { } reset
            ? string.Create(CultureInfo.InvariantCulture, $"\"{Definition.Name}\";r={remaining};t={Math.Max(0, (long)Math.Ceiling(reset.TotalSeconds))}")
            : string.Create(CultureInfo.InvariantCulture, $"\"{Definition.Name}\";r={remaining}");
    }
}

/// The rate limit of one endpoint (route × gateway), in its metadata.
/// <param name="Route">The route's name (for problem responses).</param>
/// <param name="RouteKey">The value of the `route` key part for this endpoint.</param>
internal sealed record RateLimitEndpointPolicy(RateLimitPolicy Policy, string Route, string RouteKey, ClientAddress ClientAddress)
{
    /// The counter key of a request: the policy's key parts joined. A `consumer` part without an authenticated
    /// caller, and a `header:` part without the header, count by client IP instead.
    public string KeyFor(HttpContext context)
    {
        var parts = Policy.Definition.Key;
        if (parts.Count == 1) return Part(parts[0], context);
        var values = new string[parts.Count];
        for (var i = 0; i < parts.Count; i++) values[i] = Part(parts[i], context);
        return string.Join('|', values);
    }

    string Part(string part, HttpContext context)
    {
        switch (part)
        {
            case "route": return RouteKey;
            case "ip": return ClientAddress.Key(context);
            case "consumer":
                return context.Features.Get<GatewayIdentity>() is { } identity ? identity.CallerKey : ClientAddress.Key(context);
            default:
                var value = context.Request.Headers[part["header:".Length..]].ToString();
                return value.Length > 0 ? "h:" + value : ClientAddress.Key(context);
        }
    }
}
