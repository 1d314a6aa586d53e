using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Runtime;
using Portico.Services;

namespace Portico.Protocols.Amqp;

/// `amqp:` routes: the request is published to a `protocol: amqp` service's broker, confirmed (202) or, with
/// `rpc: true`, answered with the reply.
internal sealed class AmqpKind : RouteKind, IServiceClientFactory
{
    public const string Name = "amqp";

    public override string Key => Name;
    public override string? Protocol => Name;

    /// A broker's address is its `url: amqp://…`, not HTTP base URLs.
    public override bool OwnsAddress => true;

    string IServiceClientFactory.Protocol => Name;

    public override void AddServices(IServiceCollection services)
    {
        services.AddSingleton<AmqpHandler>();
        services.AddSingleton<IServiceClientFactory>(this);
    }

    /// The broker connection (it connects once the service is live, and recovers by itself).
    public IServiceClient Create(ServiceRuntime service, TimeProvider time, ILoggerFactory loggers) => new AmqpBroker(service.Definition, time, loggers);

    /// `url:` and `recoveryInterval:` of a `protocol: amqp` service. An empty `url` (e.g. `${RABBIT_URL:-}`)
    /// configures no broker. Messages never repeat the credentials.
    public override ServiceProtocolSection? BindService(MappingReader s, List<ConfigError> errors)
    {
        var node = s.Node("url") ?? s.Node("urls");
        var recovery = s.Duration("recoveryInterval") ?? AmqpServiceDefinition.DefaultRecoveryInterval;
        if (node is null)
        {
            s.Missing("url", "the broker's URI, e.g. url: \"amqp://${RABBIT_USER}:${RABBIT_PASS}@127.0.0.1:5672/\"");
            return new AmqpServiceDefinition(null, recovery);
        }
        var texts = s.StringList(node);
        if (texts.Count != 1)
        {
            s.Error(node, "an AMQP service has one broker URL", "url: amqp://user:password@host:5672/vhost");
            return new AmqpServiceDefinition(null, recovery);
        }
        var text = texts[0].Trim();
        if (text.Length == 0) return new AmqpServiceDefinition(null, recovery);
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps" && uri.Host.Length > 0
            && string.IsNullOrEmpty(uri.Fragment) && uri.AbsolutePath.Count(c => c == '/') <= 1)
            return new AmqpServiceDefinition(uri, recovery);
        var shown = uri is not null && uri.Host.Length > 0 ? AmqpServiceDefinition.Redact(uri) : text.Contains('@', StringComparison.Ordinal) ? "(the URL given)" : $"'{text}'";
        s.Error(node, $"{shown} is not a valid AMQP URI", "amqp://user:password@host:5672/vhost or amqps://…; an empty value configures no broker");
        return new AmqpServiceDefinition(null, recovery);
    }

    public override RouteKindSection? BindRoute(MappingReader route, ConfigNode? section, List<ConfigError> errors)
    {
        var a = new MappingReader(section, errors, "an AMQP route");
        var exchange = a.String("exchange") ?? "";
        var routingKey = a.String("routingKey", required: true, hint: "where the broker routes the message, e.g. routingKey: order.placed (may use path values: order.{kind})");
        var rpc = a.Bool("rpc") ?? false;
        var contentTypes = a.StringList("contentTypes");
        a.Done();
        return routingKey is null ? null : new AmqpRouteDefinition(exchange, routingKey, rpc, contentTypes);
    }

    public override IReadOnlyList<string> UnsupportedServiceKeys => ["health", "retry", "circuitBreaker"];
    public override string ServiceArticle => "an AMQP";
    public override string UnsupportedServiceKeysHint => "remove it: the broker connection recovers by itself (recoveryInterval) and publishes are confirmed";

    public override (string Message, string Hint) MissingSection(ServiceDefinition service) =>
        ($"service '{service.Name}' is a message broker: the route must say where to publish", "add amqp: { exchange: orders, routingKey: order.placed }");

    /// One AMQP service, the routing key's values captured by the path, the content types media types.
    public override RouteKindSection? Compile(RouteKindSection section, RouteCheck check)
    {
        var amqp = (AmqpRouteDefinition)section;
        var rp = check.At;
        var single = check.SingleServiceOf(this, "an AMQP", "protocol: amqp and url: amqp://…");
        var key = RoutingKeyTemplate.TryParse(amqp.RoutingKey, out var keyError);
        if (key is null) check.Error($"{rp}.amqp.routingKey", $"'{amqp.RoutingKey}' is not a routing key template: {keyError}", "literal text and {name} for values the path captures, e.g. order.{kind}");
        else if (check.Template is { } template)
        {
            foreach (var value in key.Values.Where(v => !template.Parameters.Contains(v)))
                check.Error($"{rp}.amqp.routingKey", $"'{{{value}}}' is not captured by the path '{check.Route.Match.Path}'", Suggest.DidYouMean(value, template.Parameters) ?? "the path template captures no values");
        }
        foreach (var type in amqp.ContentTypes.Where(t => t.Count(c => c == '/') != 1 || t.Contains(';') || t.StartsWith('/') || t.EndsWith('/')))
            check.Error($"{rp}.amqp.contentTypes", $"'{type}' is not a media type", "e.g. application/json (without parameters); type/* accepts a whole type");
        return single && key is not null ? amqp with { Key = key } : null;
    }

    public override RouteHandler CreateHandler(RouteHandlerContext context)
    {
        var amqp = (AmqpRouteDefinition)context.Section;
        var service = context.Service;
        return new AmqpRoute(context.Get<AmqpHandler>(), amqp, service, context.TimeoutFor(service), context.IdentityHeaders, context.ResponseHeaders);
    }
}
