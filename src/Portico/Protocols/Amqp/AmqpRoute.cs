using Portico.Configuration;
using Portico.Services;

namespace Portico.Protocols.Amqp;

/// A route that publishes to a broker, compiled for one gateway: exchange, routing key template, mode, the
/// accepted body types, the time to wait for the confirm or reply, and the identity header names.
public sealed class AmqpRoute
{
    internal AmqpRoute(AmqpRouteDefinition definition, ServiceRuntime service, TimeSpan timeout, IdentityHeadersDefinition identityHeaders, Proxy.HeaderTransformPlan responseHeaders)
    {
        ResponseHeaders = responseHeaders;
        Exchange = definition.Exchange;
        RoutingKey = RoutingKeyTemplate.TryParse(definition.RoutingKey, out var error) ?? throw new InvalidOperationException($"routing key not validated: {error}");
        Rpc = definition.Rpc;
        ContentTypes = [.. definition.ContentTypes];
        RequiresJson = ContentTypes.Length > 0 && ContentTypes.All(IsJson);
        Service = service;
        Broker = service.Amqp ?? throw new InvalidOperationException($"service '{service.Name}' is not an AMQP service");
        Timeout = timeout;
        IdentityHeaders = identityHeaders;
    }

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
    internal Proxy.HeaderTransformPlan ResponseHeaders { get; }

    public static bool IsJson(string mediaType) =>
        mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
}
