using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Runtime;
using Portico.Services;

namespace Portico.Protocols.Grpc;

/// A route answered by a gRPC method, compiled for one gateway: the method's plans and call descriptor, the
/// service, the deadline, and the identity header names sent as metadata.
internal sealed class GrpcRoute : RouteHandler
{
    readonly GrpcHandler _handler;

    internal GrpcRoute(GrpcHandler handler, GrpcBinding binding, GrpcRouteDefinition definition, ServiceRuntime service, TimeSpan timeout, IdentityHeadersDefinition? identityHeaders, bool emitDefaults)
    {
        _handler = handler;
        Body = definition.Body;
        PathVariables = definition.PathVariables;
        BodyField = binding.BodyField;
        ResponseField = binding.ResponseField;
        Plan = binding.Plan;
        Service = service;
        Services = [service];
        Timeout = timeout;
        IdentityHeaders = identityHeaders;
        EmitDefaults = emitDefaults;
        Method = binding.Method;
        if (Plan.ServerStreaming) Metadata = [Formats.StreamingAnswerMetadata.Ndjson];
    }

    public override Task HandleAsync(HttpContext context, GatewayRoute route) => _handler.HandleAsync(context, route, this);

    public override IReadOnlyList<ServiceRuntime> Services { get; }

    public override IEnumerable<object> Metadata { get; } = [];

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
    internal Runtime.HeaderTransformPlan RequestHeaders
    {
        init => RequestMetadata = [.. value.Set.Concat(value.Append).Where(h => !IsReservedMetadata(h.Key)).Select(h => KeyValuePair.Create(h.Key.ToLowerInvariant(), h.Value))];
    }

    /// Metadata added to every call, from <see cref="RequestHeaders"/>.
    internal KeyValuePair<string, string>[] RequestMetadata { get; private init; } = [];

    /// The gateway's and route's response header transforms, applied to answers (not to problems).
    internal Runtime.HeaderTransformPlan ResponseHeaders { get; init; } = Runtime.HeaderTransformPlan.Merge(HeaderTransforms.None, HeaderTransforms.None);

    /// Request fields from the path (routes made from annotations); empty binds route values by field name.
    public IReadOnlyList<GrpcPathVariable> PathVariables { get; }
    internal Method<byte[], byte[]> Method { get; }

    /// HTTP/2 and gRPC's own headers, which metadata must not carry.
    static bool IsReservedMetadata(string name) =>
        name.StartsWith(':') || name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-type", StringComparison.OrdinalIgnoreCase) || name.Equals("te", StringComparison.OrdinalIgnoreCase)
        || name.Equals("host", StringComparison.OrdinalIgnoreCase) || name.Equals("connection", StringComparison.OrdinalIgnoreCase);
}
