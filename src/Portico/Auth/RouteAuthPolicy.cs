using Portico.Configuration;

namespace Portico.Auth;

/// Which schemes a route accepts on a gateway: none when anonymous, else the route's list, else the gateway's default.
public static class RouteAuthPolicy
{
    public static IReadOnlyList<string> SchemesOf(RouteDefinition route, GatewayDefinition gateway) =>
        route.Anonymous ? [] : route.Auth ?? gateway.Auth ?? [];
}
