using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace Portico.Routing;

/// Splits the route tree by named gateway (the listener a request came in on) before the HTTP method is
/// considered, so a gateway never answers 405 because of another gateway's routes, and the per-request cost is
/// one array lookup by local port. When Portico is embedded in an app with listeners of its own
/// (<see cref="ListenerMap.RestrictToGatewayPorts"/>), the split is also between Portico and the app: a gateway's
/// listener serves only that gateway's routes, and the app's own endpoints only the app's ports.
internal sealed class GatewayMatcherPolicy(ListenerMap listeners) : MatcherPolicy, INodeBuilderPolicy
{
    const int UnknownGateway = -1;

    // Before the built-in HttpMethodMatcherPolicy (order -1000), which would otherwise see every gateway's methods.
    public override int Order => -2000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
    {
        if ((listeners.GatewayCount < 2 && !listeners.RestrictToGatewayPorts) || ContainsDynamicEndpoints(endpoints)) return false;
        if (listeners.RestrictToGatewayPorts) return endpoints.Count > 0;
        foreach (var e in endpoints)
        {
            if (e.Metadata.GetMetadata<GatewayMetadata>() is not null) return true;
        }
        return false;
    }

    public IReadOnlyList<PolicyNodeEdge> GetEdges(IReadOnlyList<Endpoint> endpoints)
    {
        var byGateway = new List<Endpoint>[listeners.GatewayCount + 1];
        for (var i = 0; i < byGateway.Length; i++) byGateway[i] = [];
        foreach (var e in endpoints)
        {
            if (e.Metadata.GetMetadata<GatewayMetadata>() is { } g) byGateway[g.Index].Add(e);
            else if (listeners.RestrictToGatewayPorts) byGateway[listeners.GatewayCount].Add(e);
            else foreach (var list in byGateway) list.Add(e);
        }
        var edges = new List<PolicyNodeEdge>();
        for (var i = 0; i < byGateway.Length; i++)
        {
            if (byGateway[i].Count > 0) edges.Add(new PolicyNodeEdge(i == listeners.GatewayCount ? UnknownGateway : i, byGateway[i]));
        }
        return edges;
    }

    public PolicyJumpTable BuildJumpTable(int exitDestination, IReadOnlyList<PolicyJumpTableEdge> edges)
    {
        var destinations = new int[listeners.GatewayCount];
        Array.Fill(destinations, exitDestination);
        var unknown = exitDestination;
        foreach (var edge in edges)
        {
            var gateway = (int)edge.State;
            if (gateway == UnknownGateway) unknown = edge.Destination;
            else destinations[gateway] = edge.Destination;
        }
        return new GatewayJumpTable(listeners, destinations, unknown);
    }

    sealed class GatewayJumpTable(ListenerMap listeners, int[] destinations, int unknown) : PolicyJumpTable
    {
        public override int GetDestination(HttpContext httpContext)
        {
            var gateway = listeners.GatewayIndexFor(httpContext);
            return (uint)gateway < (uint)destinations.Length ? destinations[gateway] : unknown;
        }
    }
}
