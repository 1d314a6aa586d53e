using Grpc.Core;
using Portico.Configuration;
using Portico.Services;

namespace Portico.Protocols.Grpc;

/// A route answered by a gRPC method, compiled for one gateway: the method's plans and call descriptor, the
/// service, the deadline, and the identity header names sent as metadata.
public sealed class GrpcRoute
{
    static readonly Marshaller<byte[]> PassThrough = Marshallers.Create(static b => b, static b => b);

    internal GrpcRoute(MethodPlan plan, GrpcRouteDefinition definition, ServiceRuntime service, TimeSpan timeout, IdentityHeadersDefinition? identityHeaders, bool emitDefaults)
    {
        Body = definition.Body;
        PathVariables = definition.PathVariables;
        BodyField = definition.Body is { Length: > 0 } body && body != "*" ? plan.Input.ByName[body] : null;
        ResponseField = definition.ResponseBody is { } responseBody ? plan.Output.ByName[responseBody] : null;
        Plan = plan;
        Service = service;
        Timeout = timeout;
        IdentityHeaders = identityHeaders;
        EmitDefaults = emitDefaults;
        Method = new Method<byte[], byte[]>(plan.ServerStreaming ? MethodType.ServerStreaming : MethodType.Unary, plan.Service, plan.Name, PassThrough, PassThrough);
    }

    public MethodPlan Plan { get; }
    public ServiceRuntime Service { get; }
    public TimeSpan Timeout { get; }
    public IdentityHeadersDefinition? IdentityHeaders { get; }
    public bool EmitDefaults { get; }

    /// Where the JSON body goes (see <see cref="GrpcRouteDefinition.Body"/>).
    public string? Body { get; }

    /// The request field the body fills, when <see cref="Body"/> names one.
    public FieldPlan? BodyField { get; }

    /// The answer's field written as the response body; null writes the whole message.
    public FieldPlan? ResponseField { get; }

    /// The gateway's and route's request header transforms: `set` and `append` go as metadata (lower-cased).
    internal Proxy.HeaderTransformPlan RequestHeaders
    {
        init => RequestMetadata = [.. value.Set.Concat(value.Append).Where(h => !IsReservedMetadata(h.Key)).Select(h => KeyValuePair.Create(h.Key.ToLowerInvariant(), h.Value))];
    }

    /// Metadata added to every call, from <see cref="RequestHeaders"/>.
    internal KeyValuePair<string, string>[] RequestMetadata { get; private init; } = [];

    /// The gateway's and route's response header transforms, applied to answers (not to problems).
    internal Proxy.HeaderTransformPlan ResponseHeaders { get; init; } = Proxy.HeaderTransformPlan.Merge(HeaderTransforms.None, HeaderTransforms.None);

    /// Request fields from the path (routes made from annotations); empty binds route values by field name.
    public IReadOnlyList<GrpcPathVariable> PathVariables { get; }
    internal Method<byte[], byte[]> Method { get; }

    /// HTTP/2 and gRPC's own headers, which metadata must not carry.
    static bool IsReservedMetadata(string name) =>
        name.StartsWith(':') || name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-type", StringComparison.OrdinalIgnoreCase) || name.Equals("te", StringComparison.OrdinalIgnoreCase)
        || name.Equals("host", StringComparison.OrdinalIgnoreCase) || name.Equals("connection", StringComparison.OrdinalIgnoreCase);
}
