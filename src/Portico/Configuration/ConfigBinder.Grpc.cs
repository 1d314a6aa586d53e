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
        var method = g.String("method", required: true, hint: "the gRPC method as package.Service/Method, e.g. method: inventory.Inventory/GetItem");
        g.Done();
        return method is null ? null : new GrpcRouteDefinition(method);
    }
}
