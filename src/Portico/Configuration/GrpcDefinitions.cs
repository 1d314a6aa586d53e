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

/// A route answered by one gRPC method (`package.Service/Method`).
public sealed record GrpcRouteDefinition(string Method);
