using Microsoft.Extensions.DependencyInjection;
using Portico.Auth;
using Portico.Configuration;
using Portico.Routing;
using Portico.Runtime;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Proxy;

/// A forwarding route's section: nothing of its own in the config (`service` or `split`, `rewrite` are route
/// keys); compiled, the parsed rewrite.
internal sealed record ProxySection(RewriteTemplate? Rewrite) : RouteKindSection
{
    public override string Kind => ProxyKind.Name;

    public override string Describe(RouteDefinition route) =>
        route.Service ?? string.Join(" / ", route.Split?.Targets.Select(t => $"{t.Service} {t.Weight}") ?? []);
}

/// The default kind: a route without another kind's key forwards the request to its service (or one of a split's)
/// with YARP, rewriting the path when it says so.
internal sealed class ProxyKind : RouteKind
{
    public const string Name = "proxy";

    public override string Key => Name;
    public override bool IsDefault => true;

    public override void AddServices(IServiceCollection services)
    {
        services.AddHttpForwarder();
        services.AddSingleton<ProxyHandler>();
    }

    public override RouteKindSection? BindRoute(MappingReader route, ConfigNode? section, List<ConfigError> errors) => new ProxySection(null);

    public override RouteKindSection? Compile(RouteKindSection section, RouteCheck check)
    {
        var r = check.Route;
        var at = check.At;
        if (r.Service is null && r.Split is null)
            check.Error(at, "the route has no target", "add service: <name> (or split: { a: 90, b: 10 })");
        if (r.Rewrite is not { } rewrite) return section;
        if (check.Template is not { } template) return null;
        if (!rewrite.StartsWith('/')) check.Error($"{at}.rewrite", $"'{rewrite}' must start with '/'", "e.g. rewrite: /users/{id}");
        var parsed = RewriteTemplate.Parse(rewrite, out var rewriteError);
        foreach (var p in parsed.Parameters.Where(p => !RewriteTemplate.IsIdentityValue(p)))
        {
            if (!template.Parameters.Contains(p))
                check.Error($"{at}.rewrite", $"'{{{p}}}' is not captured by the path '{r.Match.Path}'", Suggest.DidYouMean(p, template.Parameters) ?? "the path template captures no values");
        }
        if (rewriteError is not null) check.Error($"{at}.rewrite", rewriteError, "write values as {name}, e.g. /users/{id}?expand={expand}");
        if (parsed.Parameters.Any(RewriteTemplate.IsIdentityValue))
        {
            foreach (var gateway in check.Config.Gateways.Where(g => r.Gateways is null || r.Gateways.Contains(g.Name)))
            {
                if (r.SchemesOn(gateway).Count == 0)
                    check.Error($"{at}.rewrite", $"the rewrite uses the caller's identity but the route is anonymous on gateway '{gateway.Name}'", "add auth: [jwt] (or another scheme) to the route");
            }
        }
        return new ProxySection(parsed);
    }

    public override RouteHandler CreateHandler(RouteHandlerContext context)
    {
        var route = context.Route;
        var targetNames = route.Split is { } split ? split.Targets.Select(t => t.Service).ToArray() : [route.Service!];
        var targets = targetNames.Select(n => context.Services[n]).ToArray();
        var configs = targets.Select(s => new ForwarderRequestConfig { ActivityTimeout = context.TimeoutFor(s) }).ToArray();
        var transformer = new RouteTransformer(
            ((ProxySection)context.Section).Rewrite,
            context.RequestHeaders,
            context.ResponseHeaders,
            mayRetry: targets.Any(t => t.Resilience.Retry is not null),
            identity: IdentityForwarding.For(route, context.Gateway, context.Auth),
            clients: context.Clients);
        var selector = route.Split is { } s2 ? new SplitSelector(s2.Targets, s2.Sticky) : null;
        return new ProxyRoute(context.Get<ProxyHandler>(), route, context.Gateway.Name, targets, configs, selector, transformer);
    }
}
