using Portico.Configuration;

namespace Portico.Routing;

/// The documented order in which a gateway tries its routes: explicit `order`, then the more specific path
/// (literal segments before parameters before catch-alls), then more match conditions, then file order.
internal static class RoutePrecedence
{
    /// <paramref name="routes"/> in the order a gateway tries them.
    public static IReadOnlyList<RouteDefinition> Sort(IEnumerable<RouteDefinition> routes)
    {
        // Validated routes carry their parsed template; one that does not parse sorts last.
        var keyed = routes.Select(r => (Route: r, Key: (r.Template ?? (PathTemplate.TryParse(r.Match.Path, out var t, out _) ? t : null))?.SpecificityKey ?? "~")).ToList();
        return keyed
            .OrderBy(x => x.Route.Order)
            .ThenBy(x => x.Key, StringComparer.Ordinal)
            .ThenByDescending(x => x.Route.Match.ConditionCount)
            .ThenBy(x => x.Route.Index)
            .Select(x => x.Route)
            .ToList();
    }

    public static IEnumerable<(GatewayDefinition Gateway, IReadOnlyList<RouteDefinition> Routes)> ByGateway(PorticoConfig config) =>
        config.Gateways.Select(g => (g, Sort(config.Routes.Where(r => r.Gateways is null || r.Gateways.Contains(g.Name)))));
}
