using Portico.Protocols.Amqp;
using Portico.Protocols.GraphQL;
using Portico.Routing;

namespace Portico.Configuration;

public static partial class ConfigValidator
{
    /// GraphQL and AMQP routes: one service of the matching protocol, the operation parsed and checked with
    /// GraphQL.NET's parser, the routing key's values captured by the path; services of those protocols are only
    /// reached through such routes.
    static void ValidateProtocols(PorticoConfig config, ConfigSourceMap where, List<ConfigError> errors)
    {
        void Error(string path, string message, string? hint = null) => errors.Add(new ConfigError(path, message, where.Find(path), hint));
        var services = config.Services.ToDictionary(s => s.Name, StringComparer.Ordinal);

        foreach (var s in config.Services.Where(s => s.Protocol == ServiceProtocol.Amqp))
        {
            foreach (var key in new[] { s.Health is null ? null : "health", s.Retry is null ? null : "retry", s.CircuitBreaker is null ? null : "circuitBreaker" }.OfType<string>())
                Error($"services.{s.Name}.{key}", $"'{key}' does not apply to an AMQP service", "remove it: the broker connection recovers by itself (recoveryInterval) and publishes are confirmed");
        }

        foreach (var r in config.Routes)
        {
            var rp = r.ConfigPath;
            var service = r.Service is { } name && services.TryGetValue(name, out var found) ? found : null;
            if (r.GraphQL is { } graphql)
            {
                if (SingleServiceOf(r, service, ServiceProtocol.GraphQL, "graphql", "a GraphQL", "protocol: graphql", Error))
                    GraphQLOperation.Compile(graphql, (key, message, hint) => Error($"{rp}.graphql.{key}", message, hint));
            }
            else if (service?.Protocol == ServiceProtocol.GraphQL)
                Error(rp, $"service '{service.Name}' speaks GraphQL: the route must hold its operation", "add graphql: { query: \"query($id: ID!) { product(id: $id) { id name } }\" }");

            if (r.Amqp is { } amqp)
            {
                SingleServiceOf(r, service, ServiceProtocol.Amqp, "amqp", "an AMQP", "protocol: amqp and url: amqp://…", Error);
                var key = RoutingKeyTemplate.TryParse(amqp.RoutingKey, out var keyError);
                if (key is null) Error($"{rp}.amqp.routingKey", $"'{amqp.RoutingKey}' is not a routing key template: {keyError}", "literal text and {name} for values the path captures, e.g. order.{kind}");
                else if (PathTemplate.TryParse(r.Match.Path, out var template, out _))
                {
                    foreach (var value in key.Values.Where(v => !template!.Parameters.Contains(v)))
                        Error($"{rp}.amqp.routingKey", $"'{{{value}}}' is not captured by the path '{r.Match.Path}'", Suggest.DidYouMean(value, template!.Parameters) ?? "the path template captures no values");
                }
                foreach (var type in amqp.ContentTypes.Where(t => t.Count(c => c == '/') != 1 || t.Contains(';') || t.StartsWith('/') || t.EndsWith('/')))
                    Error($"{rp}.amqp.contentTypes", $"'{type}' is not a media type", "e.g. application/json (without parameters); type/* accepts a whole type");
            }
            else if (service?.Protocol == ServiceProtocol.Amqp)
                Error(rp, $"service '{service.Name}' is a message broker: the route must say where to publish", "add amqp: { exchange: orders, routingKey: order.placed }");

            if (r.Grpc is not null)
            {
                // Set and appended request headers, and the identity headers, go as gRPC metadata, whose keys are narrower than header names.
                var names = r.RequestHeaders.Set.Concat(r.RequestHeaders.Append).Select(h => (At: $"{rp}.headers.request", h.Key))
                    .Concat(config.Gateways.Where(g => r.Gateways?.Contains(g.Name) != false).SelectMany(g => g.RequestHeaders.Set.Concat(g.RequestHeaders.Append).Select(h => (At: $"gateways.{g.Name}.headers.request", h.Key))))
                    .Concat((config.Auth?.IdentityHeaders.All ?? []).Select(n => (At: "auth.identityHeaders", n)));
                foreach (var (at, key) in names.Where(n => !IsMetadataKey(n.Item2)).Distinct())
                    Error(at, $"'{key}' cannot be a gRPC metadata key (route '{r.Name}' calls a gRPC service)", "use letters, digits, '.', '_' and '-'; a key ending in '-bin' is for binary values");
            }

            foreach (var target in r.Split?.Targets ?? [])
            {
                if (services.TryGetValue(target.Service, out var t) && t.Protocol is ServiceProtocol.Amqp or ServiceProtocol.GraphQL)
                    Error($"{rp}.split.{target.Service}", $"service '{t.Name}' is not an HTTP service: a split forwards requests", "split between protocol: http services");
            }
            foreach (var part in r.Aggregate?.Parts ?? [])
            {
                if (services.TryGetValue(part.Service, out var p) && p.Protocol == ServiceProtocol.Amqp)
                    Error($"{rp}.aggregate.parts.{part.Name}.service", $"service '{p.Name}' is a message broker: an aggregate part makes HTTP calls", "name an HTTP service");
            }
        }
    }

    /// A gRPC metadata key for a text value, once lower-cased: [a-z0-9._-], not ending in "-bin" (binary values).
    static bool IsMetadataKey(string name) =>
        name.Length > 0 && !name.EndsWith("-bin", StringComparison.OrdinalIgnoreCase)
        && name.All(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '.' or '_' or '-');

    /// The route targets one known service of <paramref name="protocol"/> and has no rewrite or other protocol section.
    static bool SingleServiceOf(RouteDefinition r, ServiceDefinition? service, ServiceProtocol protocol, string key, string kind, string addHint, Action<string, string, string?> error)
    {
        var at = $"{r.ConfigPath}.{key}";
        if (r.Service is null)
        {
            error(at, $"{kind} route needs one 'service' (no split or aggregate)", $"add service: <a protocol: {key} service>");
            return false;
        }
        if (r.Rewrite is not null) error($"{r.ConfigPath}.rewrite", $"'rewrite' does not apply to {kind} route", "remove it");
        var sections = new[] { r.Grpc is null ? null : "grpc", r.GraphQL is null ? null : "graphql", r.Amqp is null ? null : "amqp" }.OfType<string>().ToList();
        if (sections.Count > 1 && sections[0] == key) error(r.ConfigPath, $"the route has {string.Join(" and ", sections.Select(s => $"'{s}'"))}", "keep the one of its service's protocol");
        if (service is null) return false; // unknown service: reported by Validate
        if (service.Protocol != protocol)
        {
            error(at, $"service '{service.Name}' is not {kind} service", $"add {addHint} to service '{service.Name}'");
            return false;
        }
        return true;
    }
}
