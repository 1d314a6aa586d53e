namespace Portico.Configuration;

public static partial class ConfigBinder
{
    static readonly Dictionary<string, ServiceProtocol> ProtocolNames = new(StringComparer.Ordinal)
    {
        ["http"] = ServiceProtocol.Http,
        ["grpc"] = ServiceProtocol.Grpc,
        ["graphql"] = ServiceProtocol.GraphQL,
        ["amqp"] = ServiceProtocol.Amqp,
    };

    /// `protocol:` and, for gRPC, `proto:` / `emitDefaults:` of a service.
    static (ServiceProtocol Protocol, GrpcServiceDefinition? Grpc) BindServiceProtocol(MappingReader s)
    {
        var protocol = s.Enum("protocol", ProtocolNames) ?? ServiceProtocol.Http;
        if (protocol != ServiceProtocol.Grpc) return (protocol, null);
        var protos = s.StringList("proto");
        if (protos.Count == 0) s.Missing("proto", "name the service's .proto file(s), relative to the config file, e.g. proto: protos/inventory.proto");
        return (protocol, new GrpcServiceDefinition(protos, "", s.Bool("emitDefaults") ?? false));
    }

    /// The `grpc` section of a route, or null when the route has none.
    static GrpcRouteDefinition? BindGrpcRoute(MappingReader route, List<ConfigError> errors)
    {
        if (route.Node("grpc") is not { } node) return null;
        var g = new MappingReader(node, errors, "a gRPC route");
        var annotations = g.Bool("annotations") ?? false;
        GrpcRouteDefinition? result;
        if (annotations)
        {
            foreach (var key in new[] { "method", "body", "responseBody" })
            {
                if (g.Node(key) is { } extra)
                    g.Error(extra, $"'{key}' comes from the .proto's google.api.http annotations on an 'annotations: true' route", "remove it, or write one route per method without 'annotations'");
            }
            result = new GrpcRouteDefinition("", Annotations: true);
        }
        else
        {
            var method = g.String("method", required: true, hint: "the gRPC method as package.Service/Method, e.g. method: inventory.Inventory/GetItem, or annotations: true");
            var body = g.String("body");
            var responseBody = g.String("responseBody");
            result = method is null ? null : new GrpcRouteDefinition(method, body, responseBody);
        }
        g.Done();
        return result;
    }

    /// A route with `grpc: { annotations: true }`: its paths come from the .proto, so `match` is optional.
    static bool IsAnnotationRoute(MappingReader route) =>
        route.Node("grpc") is ConfigMapping grpc && grpc.Get("annotations") is ConfigScalar { Value: "true" or "True" or "TRUE" };
}
