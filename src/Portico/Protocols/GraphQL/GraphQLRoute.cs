using Portico.Configuration;
using Portico.Proxy;
using Portico.Services;

namespace Portico.Protocols.GraphQL;

/// A route answered by a GraphQL operation, compiled for one gateway: the operation, the service and its
/// time limit, the identity header names and the request header edits.
public sealed class GraphQLRoute
{
    internal GraphQLRoute(GraphQLOperation operation, ServiceRuntime service, TimeSpan timeout, IdentityHeadersDefinition identityHeaders, HeaderTransformPlan requestHeaders, HeaderTransformPlan responseHeaders)
    {
        Operation = operation;
        Service = service;
        Timeout = timeout;
        IdentityHeaders = identityHeaders;
        RequestHeaders = requestHeaders;
        ResponseHeaders = responseHeaders;
    }

    public GraphQLOperation Operation { get; }
    public ServiceRuntime Service { get; }
    public TimeSpan Timeout { get; }
    public IdentityHeadersDefinition IdentityHeaders { get; }
    internal HeaderTransformPlan RequestHeaders { get; }
    internal HeaderTransformPlan ResponseHeaders { get; }
}
