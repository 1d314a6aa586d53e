namespace Portico.Configuration;

/// The gRPC side of a `protocol: grpc` service: the .proto files that describe it, relative to the config file.
/// <param name="Protos">The files as written in the config.</param>
/// <param name="BaseDirectory">Where relative paths start (the config file's folder).</param>
/// <param name="EmitDefaults">Emit fields that hold their default value in JSON answers (proto3 JSON omits them by default).</param>
public sealed record GrpcServiceDefinition(IReadOnlyList<string> Protos, string BaseDirectory, bool EmitDefaults = false)
{
    /// The parsed files, set when the config is loaded.
    public Protocols.Grpc.GrpcSchema? Schema { get; init; }
}

/// A route answered by one gRPC method (`package.Service/Method`); or, with <paramref name="Annotations"/>, a
/// route that stands for every `google.api.http` binding of the service's methods and is expanded into one
/// route per binding when the config loads.
/// <param name="Body">Where the JSON body goes: null merges it over the path and query values; `*` is the
/// whole message (query parameters unused); a field name fills that field; empty reads no body.</param>
/// <param name="ResponseBody">The answer's field that is the response body; null answers the whole message.</param>
public sealed record GrpcRouteDefinition(string Method, string? Body = null, string? ResponseBody = null, bool Annotations = false)
{
    /// Request fields filled from the path, for routes made from annotations (explicit routes bind by name).
    public IReadOnlyList<Protocols.Grpc.GrpcPathVariable> PathVariables { get; init; } = [];

    /// The annotation a route was made from; null for a route written in the config.
    public Protocols.Grpc.HttpRule? Rule { get; init; }
}
