using Portico.Aggregation;
using Portico.Configuration;
using Portico.Protocols.Amqp;
using Portico.Protocols.GraphQL;
using Portico.Protocols.Grpc;
using Portico.Proxy;
using Portico.Runtime;

namespace Portico.Hosting;

/// The route kinds Portico ships, registered here and nowhere else: a new kind is its folder plus one line below.
internal static class BuiltInRouteKinds
{
    public static IReadOnlyList<RouteKind> All { get; } =
    [
        new ProxyKind(),
        new AggregateKind(),
        new GrpcKind(),
        new GraphQLKind(),
        new AmqpKind(),
    ];

    /// The set the config loader takes.
    public static RouteKindSet Set { get; } = new(All);
}
