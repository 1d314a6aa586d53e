using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Portico.Configuration;

namespace Portico.Routing;

/// A 405 stand-in (<see cref="MethodRejection"/>) survives only when no other route for the same path template
/// took the request: two routes sharing a template, one for GET and one for POST, each keep their method. Runs
/// only for candidate sets that contain a stand-in.
internal sealed class MethodRejectionMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    // After the method, host and route-condition policies, so only the candidates that really matched are left.
    public override int Order => 1100;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        foreach (var e in endpoints)
        {
            if (e.Metadata.GetMetadata<MethodRejection>() is not null) return true;
        }
        return false;
    }

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!candidates.IsValidCandidate(i) || candidates[i].Endpoint.Metadata.GetMetadata<MethodRejection>() is not { } rejection) continue;
            for (var j = 0; j < candidates.Count; j++)
            {
                if (j == i || !candidates.IsValidCandidate(j)) continue;
                if (candidates[j].Endpoint.Metadata.GetMetadata<RouteDefinition>() is { } other && rejection.SamePath.Contains(other))
                {
                    candidates.SetValidity(i, false);
                    break;
                }
            }
        }
        return Task.CompletedTask;
    }
}
