using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration;
using Portico.Runtime;

namespace Portico.Protocols.GraphQL;

/// `graphql:` routes: the request runs one GraphQL operation of a `protocol: graphql` service, its variables
/// taken from the path, query and body, and the answer is the operation's data (or a part of it).
internal sealed class GraphQLKind : RouteKind
{
    public const string Name = "graphql";

    public override string Key => Name;
    public override string? Protocol => Name;

    /// A GraphQL service is an HTTP endpoint: an aggregate part may post to it.
    public override bool ServicesAnswerHttp => true;

    public override void AddServices(IServiceCollection services) => services.AddSingleton<GraphQLHandler>();

    public override RouteKindSection? BindRoute(MappingReader route, ConfigNode? section, List<ConfigError> errors)
    {
        var g = new MappingReader(section, errors, "a GraphQL route");
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

    public override (string Message, string Hint) MissingSection(ServiceDefinition service) =>
        ($"service '{service.Name}' speaks GraphQL: the route must hold its operation", "add graphql: { query: \"query($id: ID!) { product(id: $id) { id name } }\" }");

    /// One GraphQL service, and the operation parsed and checked with GraphQL.NET's parser.
    public override RouteKindSection? Compile(RouteKindSection section, RouteCheck check)
    {
        var graphql = (GraphQLRouteDefinition)section;
        if (!check.SingleServiceOf(this, "a GraphQL", "protocol: graphql")) return null;
        return GraphQLOperation.Compile(graphql, (key, message, hint) => check.Error($"{check.At}.graphql.{key}", message, hint)) is { } operation
            ? graphql with { Operation = operation }
            : null;
    }

    public override RouteHandler CreateHandler(RouteHandlerContext context)
    {
        var graphql = (GraphQLRouteDefinition)context.Section;
        var service = context.Service;
        return new GraphQLRoute(context.Get<GraphQLHandler>(), graphql.Operation!, service, context.TimeoutFor(service), context.IdentityHeaders, context.RequestHeaders, context.ResponseHeaders);
    }
}
