using Portico.Configuration;

namespace Portico.Protocols.GraphQL;

/// A route answered by one GraphQL operation of its `protocol: graphql` service.
/// <param name="Query">The query or mutation document; null for a persisted query known to the service by its hash only.</param>
/// <param name="OperationName">Which operation of the document to run (required when it holds several).</param>
/// <param name="PersistedQuery">`true` (the hash of <paramref name="Query"/>) or a SHA-256 hash in hex: sent the Apollo
/// APQ way in `extensions.persistedQuery`; null sends the query itself.</param>
/// <param name="Select">A dotted path into `data` whose value is the answer (e.g. `product`); null answers all of `data`.</param>
/// <param name="Variables">For a hash-only persisted query: the variables and their GraphQL types (`id: ID!`).</param>
internal sealed record GraphQLRouteDefinition(string? Query, string? OperationName, string? PersistedQuery, string? Select,
    IReadOnlyList<KeyValuePair<string, string>> Variables) : RouteKindSection
{
    public override string Kind => GraphQLKind.Name;

    /// The operation, parsed and checked once when the config is validated; null before.
    public GraphQLOperation? Operation { get; init; }

    public override string Describe(RouteDefinition route) =>
        $"{route.Service} graphql" + (OperationName is { } op ? $" {op}" : "") + (Select is { } sel ? $" → {sel}" : "");
}
