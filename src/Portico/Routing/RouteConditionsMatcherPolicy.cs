using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Portico.Hosting;

namespace Portico.Routing;

/// Filters route candidates by gateway (the listener the request came in on) and by header/query/Accept
/// conditions. Precedence between the survivors is the endpoint order computed at compile time.
internal sealed class RouteConditionsMatcherPolicy(ListenerMap listeners) : MatcherPolicy, IEndpointSelectorPolicy
{
    // After the built-in host and method policies.
    public override int Order => 1000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        foreach (var e in endpoints)
        {
            if (e.Metadata.GetMetadata<RouteConditions>() is { IsEmpty: false }) return true;
            if (listeners.GatewayCount > 1 && e.Metadata.GetMetadata<GatewayMetadata>() is not null) return true;
        }
        return false;
    }

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var gateway = listeners.GatewayCount > 1 ? listeners.GatewayIndexFor(httpContext) : -1;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!candidates.IsValidCandidate(i)) continue;
            var metadata = candidates[i].Endpoint.Metadata;
            if (gateway >= 0 && metadata.GetMetadata<GatewayMetadata>() is { } g && g.Index != gateway)
            {
                candidates.SetValidity(i, false);
                continue;
            }
            if (metadata.GetMetadata<RouteConditions>() is { IsEmpty: false } conditions && !conditions.Matches(httpContext.Request))
                candidates.SetValidity(i, false);
        }
        return Task.CompletedTask;
    }
}
