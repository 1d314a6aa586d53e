using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace Portico.Routing;

/// Filters route candidates by their header/query/Accept conditions. Precedence between the survivors is the
/// endpoint order computed at compile time; the gateway split is done earlier by <see cref="GatewayMatcherPolicy"/>.
internal sealed class RouteConditionsMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    // After the built-in host and method policies.
    public override int Order => 1000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        foreach (var e in endpoints)
        {
            if (e.Metadata.GetMetadata<RouteConditions>() is { IsEmpty: false }) return true;
        }
        return false;
    }

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!candidates.IsValidCandidate(i)) continue;
            if (candidates[i].Endpoint.Metadata.GetMetadata<RouteConditions>() is { IsEmpty: false } conditions && !conditions.Matches(httpContext.Request))
                candidates.SetValidity(i, false);
        }
        return Task.CompletedTask;
    }
}
