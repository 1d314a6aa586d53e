using Grpc.Core;
using Portico.Configuration;

namespace Portico.Protocols.Grpc;

/// The gRPC side of a `protocol: grpc` service: the .proto files that describe it, relative to the config file.
/// <param name="Protos">The files as written in the config.</param>
/// <param name="BaseDirectory">Where relative paths start (the config file's folder).</param>
/// <param name="EmitDefaults">Emit fields that hold their default value in JSON answers (proto3 JSON omits them by default).</param>
internal sealed record GrpcServiceDefinition(IReadOnlyList<string> Protos, string BaseDirectory, bool EmitDefaults = false) : ServiceProtocolSection
{
    /// The parsed files, set when the config is loaded.
    public GrpcSchema? Schema { get; init; }

    /// The files, where they are, the JSON option and what the files hold: a changed .proto is a changed service.
    public override string Fingerprint => $"{string.Join(",", Protos)},{BaseDirectory},{EmitDefaults},{Schema?.Fingerprint}";
}

/// A route answered by one gRPC method (`package.Service/Method`); or, with <paramref name="Annotations"/>, a
/// route that stands for every `google.api.http` binding of the service's methods and is expanded into one
/// route per binding when the config loads.
/// <param name="Body">Where the JSON body goes: null merges it over the path and query values; `*` is the
/// whole message (query parameters unused); a field name fills that field; empty reads no body.</param>
/// <param name="ResponseBody">The answer's field that is the response body; null answers the whole message.</param>
internal sealed record GrpcRouteDefinition(string Method, string? Body = null, string? ResponseBody = null, bool Annotations = false) : RouteKindSection
{
    public override string Kind => GrpcKind.Name;

    /// Request fields filled from the path, for routes made from annotations (explicit routes bind by name).
    public IReadOnlyList<GrpcPathVariable> PathVariables { get; init; } = [];

    /// The annotation a route was made from; null for a route written in the config.
    public HttpRule? Rule { get; init; }

    /// The method's plans and fields, bound once when the config is validated; null before (or without the .proto).
    internal GrpcBinding? Binding { get; init; }

    public override string Describe(RouteDefinition route) => $"{route.Service} grpc {Method}";
}

/// A gRPC route's method bound to its .proto: the request and answer plans, the fields the body and the answer
/// use, and the call descriptor.
internal sealed class GrpcBinding
{
    static readonly Marshaller<byte[]> PassThrough = Marshallers.Create(static b => b, static b => b);

    public GrpcBinding(MethodPlan plan, GrpcRouteDefinition definition)
    {
        PlanCompilations.Note("grpc binding");
        Plan = plan;
        BodyField = definition.Body is { Length: > 0 } body && body != "*" ? plan.Input.ByName[body] : null;
        ResponseField = definition.ResponseBody is { } responseBody ? plan.Output.ByName[responseBody] : null;
        Method = new Method<byte[], byte[]>(plan.ServerStreaming ? MethodType.ServerStreaming : MethodType.Unary, plan.Service, plan.Name, PassThrough, PassThrough);
    }

    public MethodPlan Plan { get; }
    public FieldPlan? BodyField { get; }
    public FieldPlan? ResponseField { get; }
    public Method<byte[], byte[]> Method { get; }
}
