using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Portico.Aggregation;
using Portico.Auth;
using Portico.Caching;
using Portico.Configuration;
using Portico.Formats;
using Portico.Health;
using Portico.Hosting;
using Portico.Problems;
using Portico.Protocols.Amqp;
using Portico.Protocols.GraphQL;
using Portico.Protocols.Grpc;
using Portico.Proxy;
using Portico.RateLimiting;
using Portico.Routing;
using Portico.Services;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Runtime;

/// Config → endpoints, per gateway in <see cref="RoutePrecedence"/> order. Each route gets a distinct endpoint
/// order, so a request that several routes accept never meets a tie.
public sealed class SnapshotCompiler
{
    const int BuiltInOrder = -1_000_000;
    readonly ProxyHandler _proxy;
    readonly ReadinessEndpoints _readiness;
    readonly AggregateHandler _aggregate;
    readonly RateLimitRegistry? _rateLimits;
    readonly SessionEndpoints? _sessions;
    readonly GrpcHandler? _grpc;
    readonly GraphQLHandler? _graphql;
    readonly AmqpHandler? _amqp;
    long _version;

    internal SnapshotCompiler(ProxyHandler proxy, ReadinessEndpoints readiness, AggregateHandler aggregate, RateLimitRegistry? rateLimits = null, SessionEndpoints? sessions = null, GrpcHandler? grpc = null,
        GraphQLHandler? graphql = null, AmqpHandler? amqp = null)
    {
        _graphql = graphql;
        _amqp = amqp;
        _grpc = grpc;
        _proxy = proxy;
        _readiness = readiness;
        _aggregate = aggregate;
        _rateLimits = rateLimits;
        _sessions = sessions;
    }

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
    }

    void Build(RuntimeSnapshot snapshot, CompiledRateLimits? rateLimits)
    {
        var config = snapshot.Config;
        var services = snapshot.Services;
        var endpoints = new List<Endpoint>();
        var compiledRoutes = new List<ProxyRoute>();
        var auth = config.Auth is null ? null : new AuthRuntime(config.Auth);
        var clients = snapshot.Clients;
        var templates = config.Routes.ToDictionary(r => r, r => PathTemplate.TryParse(r.Match.Path, out var t, out _) ? t! : throw new InvalidOperationException($"route {r.Name} was not validated"));

        for (var gi = 0; gi < config.Gateways.Count; gi++)
        {
            var gateway = config.Gateways[gi];
            var gatewayMetadata = new GatewayMetadata(gateway.Name, gi);
            if (gateway.LivePath is { } live) endpoints.Add(BuiltIn(live, "live", gatewayMetadata, _readiness.LiveAsync, BuiltInOrder));
            if (gateway.ReadyPath is { } ready) endpoints.Add(BuiltIn(ready, "ready", gatewayMetadata, _readiness.ReadyAsync, BuiltInOrder + 1));
            if (config.Auth?.Session is { } session && _sessions is not null) endpoints.AddRange(_sessions.For(session, gatewayMetadata, services[session.LoginService], BuiltInOrder + 2));

            var routes = RoutePrecedence.Sort(config.Routes.Where(r => r.Gateways is null || r.Gateways.Contains(gateway.Name)));
            // Routes by path shape, for the 405 stand-ins: grouped once, so a large table is not compared pair by pair.
            var byShape = routes.GroupBy(r => templates[r].Shape, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (IReadOnlySet<RouteDefinition>)new HashSet<RouteDefinition>(g, ReferenceEqualityComparer.Instance), StringComparer.Ordinal);
            for (var index = 0; index < routes.Count; index++)
            {
                var route = routes[index];
                var proxyRoute = CompileRoute(route, gateway, services, config.Auth, clients);
                compiledRoutes.Add(proxyRoute);
                // Every route gets two orders: its own, and just after it the 405 stand-in of `otherMethods: reject`.
                var order = index * 2;
                var builder = new RouteEndpointBuilder(context => HandleAsync(context, snapshot, proxyRoute), templates[route].Pattern, order)
                {
                    DisplayName = $"{route.Name} ({gateway.Name})",
                };
                builder.Metadata.Add(gatewayMetadata);
                builder.Metadata.Add(route);
                builder.Metadata.Add(proxyRoute);
                var conditions = new RouteConditions(route.Match);
                if (!conditions.IsEmpty) builder.Metadata.Add(conditions);
                if (FormatsMetadata.For(route, gateway) is { } formats) builder.Metadata.Add(formats);
                if (route.Match.Methods.Count > 0) builder.Metadata.Add(new HttpMethodMetadata(MethodsOf(route.Match)));
                if (route.Match.Hosts.Count > 0) builder.Metadata.Add(new HostAttribute([.. route.Match.Hosts]));
                AuthServiceExtensions.AddRouteAuth(builder.Metadata, route, gateway, auth);
                if (rateLimits?.For(route, gateway) is { } rateLimit) builder.Metadata.Add(rateLimit);
                if (route.Cache is { } cacheName && config.CachePolicies?.FirstOrDefault(p => p.Name == cacheName) is { } cache)
                    builder.Metadata.Add(new RouteCachePolicy(cache, gateway.Name, route.Name, builder.Metadata.OfType<RouteAuth>().Any()));
                endpoints.Add(builder.Build());
                if (MethodFallThrough.RejectsOtherMethods(route, gateway, config)) endpoints.Add(MethodRejectionEndpoint(route, byShape[templates[route].Shape], templates[route], gatewayMetadata, conditions, order + 1));
            }
        }
        snapshot.Seal(endpoints, compiledRoutes);
    }

    /// Forwards under a lease on the snapshot the route came from. A request routed just before a reload whose
    /// snapshot has already drained is served by the same route of the live snapshot (404 if it was removed).
    /// Not async itself: the usual proxied request runs in a single async frame (the proxy handler's).
    Task HandleAsync(HttpContext context, RuntimeSnapshot snapshot, ProxyRoute route)
    {
        if (!snapshot.TryEnter()) return HandleStaleAsync(context, snapshot, route);
        return route.Aggregate is null && route.Grpc is null && route.GraphQL is null && route.Amqp is null && _proxy.IsDirect(route) ? _proxy.ForwardDirectAsync(context, route, snapshot) : HandleLeasedAsync(context, snapshot, route);
    }

    async Task HandleStaleAsync(HttpContext context, RuntimeSnapshot snapshot, ProxyRoute route)
    {
        (snapshot, var live) = snapshot.LiveRoute(route.Gateway, route.Name);
        if (live is null)
        {
            snapshot.Exit();
            await Problem.WriteAsync(context, StatusCodes.Status404NotFound, Problem.Types.NotFound, "Not Found",
                $"No route matches {context.Request.Method} {context.Request.Path}.").ConfigureAwait(false);
            return;
        }
        await HandleLeasedAsync(context, snapshot, live).ConfigureAwait(false);
    }

    async Task HandleLeasedAsync(HttpContext context, RuntimeSnapshot snapshot, ProxyRoute route)
    {
        try
        {
            if (route.Aggregate is { } aggregate) await _aggregate.HandleAsync(context, route, aggregate).ConfigureAwait(false);
            else if (route.Grpc is { } grpc && _grpc is not null) await _grpc.HandleAsync(context, route, grpc).ConfigureAwait(false);
            else if (route.GraphQL is { } graphql && _graphql is not null) await _graphql.HandleAsync(context, route, graphql).ConfigureAwait(false);
            else if (route.Amqp is { } amqp && _amqp is not null) await _amqp.HandleAsync(context, route, amqp).ConfigureAwait(false);
            else await _proxy.HandleAsync(context, route).ConfigureAwait(false);
        }
        finally
        {
            snapshot.Exit();
        }
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

    ProxyRoute CompileRoute(RouteDefinition route, GatewayDefinition gateway, IReadOnlyDictionary<string, ServiceRuntime> services, AuthDefinition? auth, ClientAddress clients)
    {
        if (route.Aggregate is not null) return CompileAggregate(route, gateway, services, auth);
        var targetNames = route.Split is { } split ? split.Targets.Select(t => t.Service).ToArray() : [route.Service!];
        var targets = targetNames.Select(n => services[n]).ToArray();
        var configs = targets.Select(s => new ForwarderRequestConfig
        {
            ActivityTimeout = route.Timeout ?? gateway.Timeout ?? s.Definition.Timeout,
        }).ToArray();
        var transformer = new RouteTransformer(
            route.Rewrite is null ? null : RewriteTemplate.Parse(route.Rewrite),
            HeaderTransformPlan.Merge(gateway.RequestHeaders, route.RequestHeaders),
            HeaderTransformPlan.Merge(gateway.ResponseHeaders, route.ResponseHeaders),
            mayRetry: targets.Any(t => t.Resilience.Retry is not null),
            identity: IdentityForwarding.For(route, gateway, auth),
            clients: clients);
        var selector = route.Split is { } s2 ? new SplitSelector(s2.Targets, s2.Sticky) : null;
        return new ProxyRoute(route, gateway.Name, targets, configs, selector, transformer)
        {
            Grpc = CompileGrpc(route, gateway, targets[0], auth),
            GraphQL = CompileGraphQL(route, gateway, targets[0], auth),
            Amqp = route.Amqp is { } amqp ? new AmqpRoute(amqp, targets[0], route.Timeout ?? gateway.Timeout ?? targets[0].Definition.Timeout, auth?.IdentityHeaders ?? IdentityHeadersDefinition.Default,
                HeaderTransformPlan.Merge(gateway.ResponseHeaders, route.ResponseHeaders)) : null,
        };
    }

    /// A GraphQL route: its operation (validated at load, so it compiles) and the service's time limit.
    static GraphQLRoute? CompileGraphQL(RouteDefinition route, GatewayDefinition gateway, ServiceRuntime service, AuthDefinition? auth)
    {
        if (route.GraphQL is null) return null;
        var operation = GraphQLOperation.Compile(route.GraphQL, static (key, message, _) => throw new InvalidOperationException($"graphql.{key}: {message} (not validated)"))!;
        return new GraphQLRoute(operation, service, route.Timeout ?? gateway.Timeout ?? service.Definition.Timeout, auth?.IdentityHeaders ?? IdentityHeadersDefinition.Default,
            HeaderTransformPlan.Merge(gateway.RequestHeaders, route.RequestHeaders), HeaderTransformPlan.Merge(gateway.ResponseHeaders, route.ResponseHeaders));
    }

    /// A gRPC route: the method's plan (validated at load) and call descriptor, built once per snapshot.
    static GrpcRoute? CompileGrpc(RouteDefinition route, GatewayDefinition gateway, ServiceRuntime service, AuthDefinition? auth)
    {
        if (route.Grpc is null || service.Definition.Grpc?.Schema is not { } schema) return null;
        var plan = schema.Methods[route.Grpc.Method.TrimStart('/')];
        return new GrpcRoute(plan, route.Grpc, service, route.Timeout ?? gateway.Timeout ?? service.Definition.Timeout, auth?.IdentityHeaders ?? IdentityHeadersDefinition.Default, service.Definition.Grpc.EmitDefaults)
        {
            RequestHeaders = HeaderTransformPlan.Merge(gateway.RequestHeaders, route.RequestHeaders),
            ResponseHeaders = HeaderTransformPlan.Merge(gateway.ResponseHeaders, route.ResponseHeaders),
        };
    }

    /// An aggregate route: its plan (validated at load, so it compiles), part services and time limits. Targets
    /// list the services the parts call, so the route appears like any other in the snapshot.
    static ProxyRoute CompileAggregate(RouteDefinition route, GatewayDefinition gateway, IReadOnlyDictionary<string, ServiceRuntime> services, AuthDefinition? auth)
    {
        var template = PathTemplate.TryParse(route.Match.Path, out var t, out _) ? t! : throw new InvalidOperationException($"route {route.Name} was not validated");
        var plan = AggregationPlan.Compile(route.Aggregate!, route.ConfigPath, template.Parameters, static (path, message, _) => throw new InvalidOperationException($"{path}: {message} (not validated)"))!;
        var partServices = plan.Parts.Select(p => services[p.Definition.Service]).ToArray();
        var timeouts = plan.Parts.Select(p => p.Definition.Timeout ?? partServices[p.Index].Definition.Timeout).ToArray();
        var deadline = route.Aggregate!.Deadline ?? route.Timeout ?? gateway.Timeout ?? TimeSpan.FromSeconds(30);
        var targets = partServices.Distinct().ToArray();
        var requestHeaders = HeaderTransformPlan.Merge(gateway.RequestHeaders, route.RequestHeaders);
        var responseHeaders = HeaderTransformPlan.Merge(gateway.ResponseHeaders, route.ResponseHeaders);
        var transformer = new RouteTransformer(null, requestHeaders, responseHeaders, mayRetry: false);
        return new ProxyRoute(route, gateway.Name, targets, [.. targets.Select(_ => new ForwarderRequestConfig())], null, transformer)
        {
            Aggregate = new AggregateRoute(plan, partServices, timeouts, deadline, requestHeaders, responseHeaders, auth?.IdentityHeaders ?? IdentityHeadersDefinition.Default),
        };
    }
}

/// Marks Portico's own endpoints (health), which take no route policies.
public sealed class BuiltInEndpointMetadata
{
    public static readonly BuiltInEndpointMetadata Instance = new();
}
