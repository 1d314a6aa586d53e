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

    /// The gateway's and route's request header transforms: `set` and `append` go as metadata.
    internal Proxy.HeaderTransformPlan RequestHeaders { get; init; } = Proxy.HeaderTransformPlan.Merge(HeaderTransforms.None, HeaderTransforms.None);

    /// The gateway's and route's response header transforms, applied to answers (not to problems).
    internal Proxy.HeaderTransformPlan ResponseHeaders { get; init; } = Proxy.HeaderTransformPlan.Merge(HeaderTransforms.None, HeaderTransforms.None);

    /// Request fields from the path (routes made from annotations); empty binds route values by field name.
    public IReadOnlyList<GrpcPathVariable> PathVariables { get; }
    internal Method<byte[], byte[]> Method { get; }
}
