using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Runtime;
using Portico.Services;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Proxy;

/// A forwarding route compiled for one gateway: its targets (one service, or a split) with the request config
/// each uses, and its transformer. Immutable; part of a runtime snapshot.
internal sealed class ProxyRoute : RouteHandler
{
    readonly ProxyHandler _handler;
    readonly bool _direct;

    internal ProxyRoute(ProxyHandler handler, RouteDefinition definition, string gateway, ServiceRuntime[] targets, ForwarderRequestConfig[] configs, SplitSelector? split, HttpTransformer transformer)
    {
        _handler = handler;
        Definition = definition;
        Gateway = gateway;
        Targets = targets;
        Configs = configs;
        Split = split;
        Transformer = transformer;
        // The common case: one target without retries or a breaker, forwarded in a single async frame.
        _direct = split is null && targets[0].Resilience.IsEmpty;
    }

    public RouteDefinition Definition { get; }
    public string Name => Definition.Name;
    public string Gateway { get; }
    public ServiceRuntime[] Targets { get; }
    internal ForwarderRequestConfig[] Configs { get; }
    public SplitSelector? Split { get; }
    internal HttpTransformer Transformer { get; }

    public override IReadOnlyList<ServiceRuntime> Services => Targets;

    public override Task HandleAsync(HttpContext context, GatewayRoute route) => _handler.HandleAsync(context, this);

    /// Not async itself: the usual forwarded request runs in a single async frame (the proxy handler's).
    public override Task RunAsync(HttpContext context, GatewayRoute route, RuntimeSnapshot lease) =>
        _direct ? _handler.ForwardDirectAsync(context, this, lease) : base.RunAsync(context, route, lease);
}
