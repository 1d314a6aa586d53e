namespace Portico.Configuration;

public static partial class ConfigBinder
{
    /// `url:` and `recoveryInterval:` of a `protocol: amqp` service. An empty `url` (e.g. `${RABBIT_URL:-}`)
    /// configures no broker. Messages never repeat the credentials.
    static AmqpServiceDefinition BindAmqpService(MappingReader s)
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

    /// The `graphql` section of a route, or null when the route has none.
    static GraphQLRouteDefinition? BindGraphQLRoute(MappingReader route, List<ConfigError> errors)
    {
        if (route.Node("graphql") is not { } node) return null;
        var g = new MappingReader(node, errors, "a GraphQL route");
        var query = g.String("query");
        var operationName = g.String("operationName");
        var persisted = g.String("persistedQuery") is { } p && p is not ("false" or "False" or "no" or "off") ? p : null;
        var select = g.String("select");
        var variables = g.Entries("variables")
            .Select(e => new KeyValuePair<string, string>(e.Key.Value!, (e.Value as ConfigScalar)?.Value ?? "")).ToList();
        if (query is null && persisted is null)
            g.Missing("query", "the operation to run, e.g. query: \"query($id: ID!) { product(id: $id) { id name } }\" (or persistedQuery: <sha256>)");
        g.Done();
        return new GraphQLRouteDefinition(query, operationName, persisted, select, variables);
    }

    /// The `amqp` section of a route, or null when the route has none.
    static AmqpRouteDefinition? BindAmqpRoute(MappingReader route, List<ConfigError> errors)
    {
        if (route.Node("amqp") is not { } node) return null;
        var a = new MappingReader(node, errors, "an AMQP route");
        var exchange = a.String("exchange") ?? "";
        var routingKey = a.String("routingKey", required: true, hint: "where the broker routes the message, e.g. routingKey: order.placed (may use path values: order.{kind})");
        var rpc = a.Bool("rpc") ?? false;
        var contentTypes = a.StringList("contentTypes");
        a.Done();
        return routingKey is null ? null : new AmqpRouteDefinition(exchange, routingKey, rpc, contentTypes);
    }
}
