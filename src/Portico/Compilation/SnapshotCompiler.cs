using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portico.Auth;
using Portico.Caching;
using Portico.Configuration;
using Portico.Formats;
using Portico.Health;
using Portico.Http;
using Portico.Problems;
using Portico.RateLimiting;
using Portico.Routing;
using Portico.Runtime;
using Portico.Services;

namespace Portico.Compilation;

/// Config → endpoints, per gateway in <see cref="RoutePrecedence"/> order. Each route gets a distinct endpoint
/// order, so a request that several routes accept never meets a tie.
internal sealed class SnapshotCompiler
{
    const int BuiltInOrder = -1_000_000;
    readonly ReadinessEndpoints _readiness;
    readonly RouteKindSet _kinds;
    readonly IServiceProvider _provider;
    readonly RateLimitRegistry? _rateLimits;
    readonly SessionEndpoints? _sessions;
    readonly Telemetry.PorticoMetrics? _metrics;
    long _version;

    internal SnapshotCompiler(ReadinessEndpoints readiness, RouteKindSet kinds, IServiceProvider provider, RateLimitRegistry? rateLimits = null, SessionEndpoints? sessions = null)
    {
        _readiness = readiness;
        _kinds = kinds;
        _provider = provider;
        _rateLimits = rateLimits;
        _sessions = sessions;
        _metrics = provider.GetService(typeof(Telemetry.PorticoMetrics)) as Telemetry.PorticoMetrics;
    }

    /// The route kinds configs are loaded with.
    internal RouteKindSet Kinds => _kinds;

    /// The names of the C# request policies the host registered (routes may name them in `policies:`).
    internal IReadOnlyCollection<string> PolicyNames { get; init; } = [];

    /// The route policies (formats, auth, rate limits, cache, XML bodies) every Portico endpoint runs before its
    /// handler, built once by MapPortico; null runs handlers bare (unit tests of the compiler).
    internal RequestDelegate? Policies { get; set; }

    /// Compiles a snapshot. The registries it uses (rate-limit counters) only prepare their part: nothing live
    /// changes until <see cref="Commit"/>; if compiling fails, what was prepared is discarded.
    public RuntimeSnapshot Compile(PorticoConfig config, IReadOnlyDictionary<string, ServiceRuntime> services)
    {
        var snapshot = new RuntimeSnapshot(Interlocked.Increment(ref _version), config, services);
        var rateLimits = _rateLimits?.Prepare(config, snapshot.Clients);
        try
        {
            Build(snapshot, rateLimits);
        }
        catch
        {
            if (rateLimits is not null) _rateLimits!.Discard(rateLimits);
            throw;
        }
        snapshot.RateLimits = rateLimits;
        return snapshot;
    }

    /// Makes the registries' prepared parts of <paramref name="snapshot"/> live; what it replaces is disposed once
    /// <paramref name="retireAfter"/> completes (the older snapshots have drained).
    internal void Commit(RuntimeSnapshot snapshot, Task retireAfter)
    {
        if (snapshot.RateLimits is { } rateLimits) _rateLimits?.Commit(rateLimits, retireAfter);
        var config = snapshot.Config;
        _metrics?.Retain(config.Gateways.SelectMany(g => config.Routes.Where(r => r.Gateways is null || r.Gateways.Contains(g.Name)).Select(r => (g.Name, r.Name))).ToHashSet());
    }

    void Build(RuntimeSnapshot snapshot, CompiledRateLimits? rateLimits)
    {
        var config = snapshot.Config;
        var services = snapshot.Services;
        var endpoints = new List<Endpoint>();
        var compiledRoutes = new List<GatewayRoute>();
        var auth = config.Auth is null ? null : new AuthRuntime(config.Auth);
        var clients = snapshot.Clients;
        // The templates were parsed when the config was validated: a config that was not has none.
        static PathTemplate TemplateOf(RouteDefinition r) => r.Template ?? throw new InvalidOperationException($"route {r.Name} was not validated");

        for (var gi = 0; gi < config.Gateways.Count; gi++)
        {
            var gateway = config.Gateways[gi];
            var gatewayMetadata = new GatewayMetadata(gateway.Name, gi);
            if (gateway.LivePath is { } live) endpoints.Add(BuiltIn(live, "live", gatewayMetadata, _readiness.LiveAsync, BuiltInOrder));
            if (gateway.ReadyPath is { } ready) endpoints.Add(BuiltIn(ready, "ready", gatewayMetadata, _readiness.ReadyAsync, BuiltInOrder + 1));
            if (config.Auth?.Session is { } session && _sessions is not null) endpoints.AddRange(_sessions.For(session, gatewayMetadata, services[session.LoginService], BuiltInOrder + 2));

            var routes = RoutePrecedence.Sort(config.Routes.Where(r => r.Gateways is null || r.Gateways.Contains(gateway.Name)));
            // Routes by path shape, for the 405 stand-ins: grouped once, so a large table is not compared pair by pair.
            var byShape = routes.GroupBy(r => TemplateOf(r).Shape, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (IReadOnlySet<RouteDefinition>)new HashSet<RouteDefinition>(g, ReferenceEqualityComparer.Instance), StringComparer.Ordinal);
            for (var index = 0; index < routes.Count; index++)
            {
                var route = routes[index];
                var compiled = CompileRoute(route, gateway, services, config.Auth, clients);
                compiledRoutes.Add(compiled);
                // Every route gets two orders: its own, and just after it the 405 stand-in of `otherMethods: reject`.
                var order = index * 2;
                var builder = new RouteEndpointBuilder(context => HandleAsync(context, snapshot, compiled), TemplateOf(route).Pattern, order)
                {
                    DisplayName = $"{route.Name} ({gateway.Name})",
                };
                builder.Metadata.Add(gatewayMetadata);
                builder.Metadata.Add(route);
                builder.Metadata.Add(compiled);
                builder.Metadata.Add(new Telemetry.EndpointTelemetry(gateway.Name, route.Name,
                    _metrics?.ActivityOf(gateway.Name, route.Name) ?? new Telemetry.RouteActivity(gateway.Name, route.Name)));
                foreach (var metadata in compiled.Handler.Metadata) builder.Metadata.Add(metadata);
                var conditions = new RouteConditions(route.Match);
                if (!conditions.IsEmpty) builder.Metadata.Add(conditions);
                if (FormatsMetadata.For(route, gateway) is { } formats) builder.Metadata.Add(formats);
                if (route.Match.Methods.Count > 0) builder.Metadata.Add(new HttpMethodMetadata(MethodsOf(route.Match)));
                if (route.Match.Hosts.Count > 0) builder.Metadata.Add(new HostAttribute([.. route.Match.Hosts]));
                AuthServiceExtensions.AddRouteAuth(builder.Metadata, route, gateway, auth);
                if (rateLimits?.For(route, gateway) is { } rateLimit) builder.Metadata.Add(rateLimit);
                if (route.Policies is { Count: > 0 } named) builder.Metadata.Add(new Policies.RoutePolicies(route.Name, gateway.Name, [.. named]));
                if (route.Cache is { } cacheName && config.CachePolicies?.FirstOrDefault(p => p.Name == cacheName) is { } cache)
                    builder.Metadata.Add(new RouteCachePolicy(cache, gateway.Name, route.Name, builder.Metadata.OfType<RouteAuth>().Any()));
                endpoints.Add(builder.Build());
                if (MethodFallThrough.RejectsOtherMethods(route, gateway, config)) endpoints.Add(MethodRejectionEndpoint(route, byShape[TemplateOf(route).Shape], TemplateOf(route), gatewayMetadata, conditions, order + 1));
            }
        }
        snapshot.Seal(Policies is { } policies ? [.. endpoints.Select(e => WithPolicies(e, policies))] : endpoints, compiledRoutes);
    }

    /// Runs the route's handler under a lease on the snapshot the route came from. A request routed just before a
    /// reload whose snapshot has already drained is served by the same route of the live snapshot (404 if it was
    /// removed). Not async itself: the usual forwarded request runs in a single async frame (the proxy's).
    static Task HandleAsync(HttpContext context, RuntimeSnapshot snapshot, GatewayRoute route) =>
        snapshot.TryEnter() ? route.Handler.RunAsync(context, route, snapshot) : HandleStaleAsync(context, snapshot, route);

    static async Task HandleStaleAsync(HttpContext context, RuntimeSnapshot snapshot, GatewayRoute route)
    {
        (snapshot, var live) = snapshot.LiveRoute(route.Gateway, route.Name);
        if (live is null)
        {
            snapshot.Exit();
            await Problem.WriteAsync(context, StatusCodes.Status404NotFound, Problem.Types.NotFound, "Not Found",
                $"No route matches {context.Request.Method} {context.Request.Path}.").ConfigureAwait(false);
            return;
        }
        await live.Handler.RunAsync(context, live, snapshot).ConfigureAwait(false);
    }

    /// The endpoint runs the route policies, which end in its own handler (<see cref="PorticoHandler"/>).
    static Endpoint WithPolicies(Endpoint endpoint, RequestDelegate policies)
    {
        var route = (RouteEndpoint)endpoint;
        var metadata = new List<object>(route.Metadata) { new PorticoHandler(route.RequestDelegate!) };
        return new RouteEndpoint(policies, route.RoutePattern, route.Order, new EndpointMetadataCollection(metadata), route.DisplayName);
    }

    /// A route that allows GET also answers HEAD (RFC 9110 §9.3.2: HEAD is GET without the body).
    static IReadOnlyList<string> MethodsOf(RouteMatch match) =>
        match.Methods.Contains("GET") && !match.Methods.Contains("HEAD") ? [.. match.Methods, "HEAD"] : match.Methods;

    /// The 405 stand-in for a route with `otherMethods: reject`: the route's path, gateway, hosts and conditions, any method.
    static Endpoint MethodRejectionEndpoint(RouteDefinition route, IReadOnlySet<RouteDefinition> samePath, PathTemplate template, GatewayMetadata gateway, RouteConditions conditions, int order)
    {
        var allow = samePath.Where(r => r.Match.Methods.Count > 0).SelectMany(r => MethodsOf(r.Match)).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal);
        var rejection = new MethodRejection(route.Name, samePath, string.Join(", ", allow));
        var builder = new RouteEndpointBuilder(rejection.WriteAsync, template.Pattern, order)
        {
            DisplayName = $"{route.Name} ({gateway.Gateway}) other methods",
        };
        builder.Metadata.Add(gateway);
        builder.Metadata.Add(rejection);
        if (!conditions.IsEmpty) builder.Metadata.Add(conditions);
        if (route.Match.Hosts.Count > 0) builder.Metadata.Add(new HostAttribute([.. route.Match.Hosts]));
        return builder.Build();
    }

    static Endpoint BuiltIn(string path, string name, GatewayMetadata gateway, RequestDelegate handler, int order)
    {
        var builder = new RouteEndpointBuilder(handler, Microsoft.AspNetCore.Routing.Patterns.RoutePatternFactory.Parse(path), order)
        {
            DisplayName = $"portico {name} ({gateway.Gateway})",
        };
        builder.Metadata.Add(gateway);
        builder.Metadata.Add(new HttpMethodMetadata(["GET", "HEAD"]));
        builder.Metadata.Add(BuiltInEndpointMetadata.Instance);
        return builder.Build();
    }

    /// The route's kind makes its handler for this gateway from the plan the config's validation compiled.
    GatewayRoute CompileRoute(RouteDefinition route, GatewayDefinition gateway, IReadOnlyDictionary<string, ServiceRuntime> services, AuthDefinition? auth, ClientAddress clients)
    {
        var section = route.Kind ?? throw new InvalidOperationException($"route {route.Name} was not validated");
        var kind = (RouteKind)_kinds.For(section);
        var handler = kind.CreateHandler(new RouteHandlerContext(route, gateway, services, auth, clients, _provider));
        return new GatewayRoute(route, gateway.Name, handler);
    }
}

/// An endpoint's own handler, run at the end of the route policies.
internal sealed class PorticoHandler(RequestDelegate handler)
{
    public RequestDelegate Handler { get; } = handler;

    /// The last step of the route policies: the matched endpoint's own handler.
    public static Task InvokeAsync(HttpContext context) => context.GetEndpoint()!.Metadata.GetMetadata<PorticoHandler>()!.Handler(context);
}
