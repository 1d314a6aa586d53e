using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Runtime;
using Portico.Services;

namespace Portico.Protocols.Grpc;

/// `grpc:` routes: the request is transcoded from JSON into a call of one method of a `protocol: grpc` service
/// (or, with `annotations: true`, one route per google.api.http binding of the service's .proto).
internal sealed class GrpcKind : RouteKind, IServiceClientFactory
{
    public const string Name = "grpc";

    public override string Key => Name;
    public override string? Protocol => Name;

    /// gRPC services speak HTTP/2 with gRPC framing; an aggregate part's plain HTTP call would not be understood.
    public override bool ServicesAnswerHttp => false;

    string IServiceClientFactory.Protocol => Name;

    public override void AddServices(IServiceCollection services)
    {
        services.AddSingleton<GrpcHandler>();
        services.AddSingleton<IServiceClientFactory>(this);
    }

    /// Channels to the service's destinations over one HTTP/2 handler.
    public IServiceClient Create(ServiceRuntime service, TimeProvider time, ILoggerFactory loggers) => new GrpcChannels(service.Destinations, service.Definition.ConnectTimeout);

    /// A route with `grpc: { annotations: true }` takes its paths from the .proto, so `match` is optional.
    public override bool MatchOptional(ConfigNode section) =>
        section is ConfigMapping grpc && grpc.Get("annotations") is ConfigScalar { Value: "true" or "True" or "TRUE" };

    /// `proto:` and `emitDefaults:` of a service.
    public override ServiceProtocolSection? BindService(MappingReader service, List<ConfigError> errors)
    {
        var protos = service.StringList("proto");
        if (protos.Count == 0) service.Missing("proto", "name the service's .proto file(s), relative to the config file, e.g. proto: protos/inventory.proto");
        return new GrpcServiceDefinition(protos, "", service.Bool("emitDefaults") ?? false);
    }

    public override RouteKindSection? BindRoute(MappingReader route, ConfigNode? section, List<ConfigError> errors)
    {
        var g = new MappingReader(section, errors, "a gRPC route");
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

    /// Parses the services' .proto files and expands `annotations: true` routes into one route per binding.
    public override PorticoConfig Prepare(PorticoConfig config, ConfigSourceMap where, string? directory, List<ConfigError> errors) =>
        GrpcSchemas.Load(config, where, directory, errors);

    /// These speak HTTP/1.1 to the service or act on HTTP statuses; a gRPC service gets its deadline and passive health.
    public override IReadOnlyList<string> UnsupportedServiceKeys => ["health", "retry", "circuitBreaker"];
    public override string ServiceArticle => "a gRPC";
    public override string UnsupportedServiceKeysHint => "remove it: gRPC calls use the timeout as deadline and passive health";

    public override (string Message, string Hint) MissingSection(ServiceDefinition service) =>
        ($"service '{service.Name}' speaks gRPC: the route must name a method", "add grpc: { method: package.Service/Method }");

    /// One gRPC service; headers that go as metadata have metadata keys; the method bound to the .proto.
    public override RouteKindSection? Compile(RouteKindSection section, RouteCheck check)
    {
        var grpc = (GrpcRouteDefinition)section;
        var r = check.Route;
        // Set and appended request headers, and the identity headers, go as gRPC metadata, whose keys are narrower than header names.
        var names = r.RequestHeaders.Set.Concat(r.RequestHeaders.Append).Select(h => (At: $"{check.At}.headers.request", h.Key))
            .Concat(check.Config.Gateways.Where(g => r.Gateways?.Contains(g.Name) != false).SelectMany(g => g.RequestHeaders.Set.Concat(g.RequestHeaders.Append).Select(h => (At: $"gateways.{g.Name}.headers.request", h.Key))))
            .Concat((check.Config.Auth?.IdentityHeaders.All ?? []).Select(n => (At: "auth.identityHeaders", n)));
        foreach (var (at, key) in names.Where(n => !IsMetadataKey(n.Item2)).Distinct())
            check.Error(at, $"'{key}' cannot be a gRPC metadata key (route '{r.Name}' calls a gRPC service)", "use letters, digits, '.', '_' and '-'; a key ending in '-bin' is for binary values");

        if (!check.SingleServiceOf(this, "a gRPC", "protocol: grpc and proto: <file>")) return null;
        // Without the .proto (a config read from text) the method cannot be bound; an annotations route left
        // unexpanded was reported when it was expanded.
        if (grpc.Annotations || (check.Service!.ProtocolSection as GrpcServiceDefinition)?.Schema is not { } schema) return null;
        return GrpcSchemas.Bind(grpc, schema, check) is { } binding ? grpc with { Binding = binding } : null;
    }

    /// A gRPC metadata key for a text value, once lower-cased: [a-z0-9._-], not ending in "-bin" (binary values).
    static bool IsMetadataKey(string name) =>
        name.Length > 0 && !name.EndsWith("-bin", StringComparison.OrdinalIgnoreCase)
        && name.All(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '.' or '_' or '-');

    public override RouteHandler CreateHandler(RouteHandlerContext context)
    {
        var grpc = (GrpcRouteDefinition)context.Section;
        var binding = grpc.Binding ?? throw new InvalidOperationException($"route '{context.Route.Name}': the gRPC method is not bound (the config was not loaded from a file, so its .proto was not read)");
        var service = context.Service;
        var definition = (GrpcServiceDefinition)service.Definition.ProtocolSection!;
        return new GrpcRoute(context.Get<GrpcHandler>(), binding, grpc, service, context.TimeoutFor(service), context.IdentityHeaders, definition.EmitDefaults)
        {
            RequestHeaders = context.RequestHeaders,
            ResponseHeaders = context.ResponseHeaders,
        };
    }
}
