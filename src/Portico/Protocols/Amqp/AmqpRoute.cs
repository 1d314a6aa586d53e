using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Runtime;
using Portico.Services;

namespace Portico.Protocols.Amqp;

/// A route that publishes to a broker, compiled for one gateway: exchange, routing key template, mode, the
/// accepted body types, the time to wait for the confirm or reply, and the identity header names.
internal sealed class AmqpRoute : RouteHandler
{
    readonly AmqpHandler _handler;

    internal AmqpRoute(AmqpHandler handler, AmqpRouteDefinition definition, ServiceRuntime service, TimeSpan timeout, IdentityHeadersDefinition identityHeaders, Runtime.HeaderTransformPlan responseHeaders)
    {
        _handler = handler;
        ResponseHeaders = responseHeaders;
        Exchange = definition.Exchange;
        RoutingKey = definition.Key ?? throw new InvalidOperationException("routing key not validated");
        Rpc = definition.Rpc;
        ContentTypes = [.. definition.ContentTypes];
        RequiresJson = ContentTypes.Length > 0 && ContentTypes.All(IsJson);
        Service = service;
        Services = [service];
        Broker = service.Client as AmqpBroker ?? throw new InvalidOperationException($"service '{service.Name}' is not an AMQP service");
        Timeout = timeout;
        IdentityHeaders = identityHeaders;
    }

    public override Task HandleAsync(HttpContext context, GatewayRoute route) => _handler.HandleAsync(context, route, this);

    public override IReadOnlyList<ServiceRuntime> Services { get; }

    public string Exchange { get; }
    public RoutingKeyTemplate RoutingKey { get; }
    public bool Rpc { get; }
    public string[] ContentTypes { get; }
    /// Every accepted type is JSON, so a body that does not parse as JSON is refused (400) before publishing.
    public bool RequiresJson { get; }
    public ServiceRuntime Service { get; }
    public AmqpBroker Broker { get; }
    public TimeSpan Timeout { get; }
    public IdentityHeadersDefinition IdentityHeaders { get; }
    /// The gateway's and route's `headers.response`, applied to 202 answers and replies.
    internal Runtime.HeaderTransformPlan ResponseHeaders { get; }

    public static bool IsJson(string mediaType) =>
        mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
}
