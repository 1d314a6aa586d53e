using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Runtime;
using Portico.Services;

namespace Portico.Protocols.GraphQL;

/// A route answered by a GraphQL operation, compiled for one gateway: the operation, the service and its
/// time limit, the identity header names and the request header edits.
internal sealed class GraphQLRoute : RouteHandler
{
    readonly GraphQLHandler _handler;

    internal GraphQLRoute(GraphQLHandler handler, GraphQLOperation operation, ServiceRuntime service, TimeSpan timeout, IdentityHeadersDefinition identityHeaders, HeaderTransformPlan requestHeaders, HeaderTransformPlan responseHeaders)
    {
        _handler = handler;
        Operation = operation;
        Service = service;
        Services = [service];
        Timeout = timeout;
        IdentityHeaders = identityHeaders;
        RequestHeaders = requestHeaders;
        ResponseHeaders = responseHeaders;
    }

    public override Task HandleAsync(HttpContext context, GatewayRoute route) => _handler.HandleAsync(context, route, this);

    public override IReadOnlyList<ServiceRuntime> Services { get; }

    public GraphQLOperation Operation { get; }
    public ServiceRuntime Service { get; }
    public TimeSpan Timeout { get; }
    public IdentityHeadersDefinition IdentityHeaders { get; }
    internal HeaderTransformPlan RequestHeaders { get; }
    internal HeaderTransformPlan ResponseHeaders { get; }
}
