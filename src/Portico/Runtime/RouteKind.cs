using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Portico.Configuration;
using Portico.Http;
using Portico.Services;

namespace Portico.Runtime;

/// A route kind: what a route does once matched (forward, aggregate, call a gRPC method, run a GraphQL operation,
/// publish to a broker). The config half (<see cref="RouteKindConfig"/>) binds, checks and compiles the kind's
/// section of a route once per config load; this half registers what the kind needs in the container and makes,
/// per gateway of each snapshot, the <see cref="RouteHandler"/> that runs the compiled plan. Everything a kind
/// holds lives in its own folder; it is listed once, in `Hosting/BuiltInRouteKinds`.
internal abstract class RouteKind : RouteKindConfig
{
    /// Adds the services the kind's handlers use (called once when the host is built).
    public virtual void AddServices(IServiceCollection services) { }

    /// The handler of a route of this kind for one gateway of a snapshot, from its compiled section.
    public abstract RouteHandler CreateHandler(RouteHandlerContext context);
}

/// What a matched route does, compiled for one gateway of one snapshot.
internal abstract class RouteHandler
{
    /// Handles the request; the snapshot the route came from is held until the returned task ends.
    public abstract Task HandleAsync(HttpContext context, GatewayRoute route);

    /// Handles the request under a lease on <paramref name="lease"/> and releases it when done. A handler may
    /// override this to run the common case in a single async frame (the proxy's direct forward does).
    public virtual async Task RunAsync(HttpContext context, GatewayRoute route, RuntimeSnapshot lease)
    {
        try
        {
            await HandleAsync(context, route).ConfigureAwait(false);
        }
        finally
        {
            lease.Exit();
        }
    }

    /// Endpoint metadata the kind adds to the route's endpoint, for the middleware around it.
    public virtual IEnumerable<object> Metadata => [];

    /// The services the route calls (shown by the snapshot's readers); empty when it calls none.
    public virtual IReadOnlyList<ServiceRuntime> Services => [];
}

/// What a kind's <see cref="RouteKind.CreateHandler"/> builds from: the route with its compiled section, the
/// gateway, the snapshot's services and the container; with the values every kind derives the same way.
internal sealed class RouteHandlerContext(RouteDefinition route, GatewayDefinition gateway, IReadOnlyDictionary<string, ServiceRuntime> services,
    AuthDefinition? auth, ClientAddress clients, IServiceProvider provider)
{
    HeaderTransformPlan? _requestHeaders, _responseHeaders;

    public RouteDefinition Route => route;
    public RouteKindSection Section => route.Kind!;
    public GatewayDefinition Gateway => gateway;
    public IReadOnlyDictionary<string, ServiceRuntime> Services => services;
    public AuthDefinition? Auth => auth;
    public ClientAddress Clients => clients;

    /// The route's `service`.
    public ServiceRuntime Service => services[route.Service!];

    /// The gateway's and the route's `headers.request`, merged.
    public HeaderTransformPlan RequestHeaders => _requestHeaders ??= HeaderTransformPlan.Merge(gateway.RequestHeaders, route.RequestHeaders);

    /// The gateway's and the route's `headers.response`, merged.
    public HeaderTransformPlan ResponseHeaders => _responseHeaders ??= HeaderTransformPlan.Merge(gateway.ResponseHeaders, route.ResponseHeaders);

    /// The names the caller's identity goes to services under.
    public IdentityHeadersDefinition IdentityHeaders => auth?.IdentityHeaders ?? IdentityHeadersDefinition.Default;

    /// How long a call to <paramref name="service"/> may take: the route's timeout, else the gateway's, else the service's.
    public TimeSpan TimeoutFor(ServiceRuntime service) => route.Timeout ?? gateway.Timeout ?? service.Definition.Timeout;

    public T Get<T>() where T : notnull => provider.GetRequiredService<T>();
}

/// A route compiled for one gateway of a snapshot: its definition and its handler. Immutable.
internal sealed class GatewayRoute
{
    internal GatewayRoute(RouteDefinition definition, string gateway, RouteHandler handler)
    {
        Definition = definition;
        Gateway = gateway;
        Handler = handler;
    }

    public RouteDefinition Definition { get; }
    public string Name => Definition.Name;
    public string Gateway { get; }
    internal RouteHandler Handler { get; }

    /// The services the route calls.
    public IReadOnlyList<ServiceRuntime> Services => Handler.Services;
}
