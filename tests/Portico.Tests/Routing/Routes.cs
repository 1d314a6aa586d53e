using Portico.Configuration;

namespace Portico.Tests.Routing;

/// Builds route definitions for routing unit tests without going through YAML.
internal static class Routes
{
    public static RouteDefinition Route(string name, int index, string path, int order = 0, string[]? methods = null,
        ValueCondition[]? headers = null, ValueCondition[]? query = null, string[]? accept = null, string[]? hosts = null) =>
        new(name, index, null, new RouteMatch(path, methods ?? [], hosts ?? [], headers ?? [], query ?? [], accept ?? []),
            "svc", null, null, HeaderTransforms.None, HeaderTransforms.None, null, order);
}
