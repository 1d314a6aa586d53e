using Portico.Configuration;
using Portico.Services;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Proxy;

/// A proxied route compiled for one gateway: its targets (one service, or a split) with the request config
/// each uses, and its transformer. Immutable; part of a runtime snapshot.
public sealed class ProxyRoute
{
    internal ProxyRoute(RouteDefinition definition, string gateway, ServiceRuntime[] targets, ForwarderRequestConfig[] configs, SplitSelector? split, HttpTransformer transformer)
    {
        Definition = definition;
        Gateway = gateway;
        Targets = targets;
        Configs = configs;
        Split = split;
        Transformer = transformer;
    }

    public RouteDefinition Definition { get; }
    public string Name => Definition.Name;
    public string Gateway { get; }
    public ServiceRuntime[] Targets { get; }
    internal ForwarderRequestConfig[] Configs { get; }
    public SplitSelector? Split { get; }
    internal HttpTransformer Transformer { get; }

    /// Set for an aggregate route: the endpoint runs the aggregation instead of forwarding.
    public Aggregation.AggregateRoute? Aggregate { get; init; }

    /// Set for a gRPC route: the endpoint transcodes and calls the method instead of forwarding.
    public Protocols.Grpc.GrpcRoute? Grpc { get; init; }

    /// Set for a GraphQL route: the endpoint runs the operation instead of forwarding.
    public Protocols.GraphQL.GraphQLRoute? GraphQL { get; init; }

    /// Set for an AMQP route: the endpoint publishes to the broker instead of forwarding.
    public Protocols.Amqp.AmqpRoute? Amqp { get; init; }
}
