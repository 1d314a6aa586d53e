using Grpc.Core;
using Portico.Configuration;
using Portico.Services;

namespace Portico.Protocols.Grpc;

/// A route answered by a gRPC method, compiled for one gateway: the method's plans and call descriptor, the
/// service, the deadline, and the identity header names sent as metadata.
public sealed class GrpcRoute
{
    static readonly Marshaller<byte[]> PassThrough = Marshallers.Create(static b => b, static b => b);

    internal GrpcRoute(MethodPlan plan, ServiceRuntime service, TimeSpan timeout, IdentityHeadersDefinition? identityHeaders, bool emitDefaults)
    {
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
    internal Method<byte[], byte[]> Method { get; }
}
