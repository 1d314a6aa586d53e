using Microsoft.AspNetCore.Http;
using Portico.Runtime;
using Portico.Services;

namespace Portico.Aggregation;

/// An aggregate route compiled for one gateway: the plan, the service each part calls, and the time limits.
internal sealed class AggregateRoute : RouteHandler
{
    readonly AggregateHandler _handler;

    internal AggregateRoute(AggregateHandler handler, AggregationPlan plan, ServiceRuntime[] partServices, TimeSpan[] partTimeouts, TimeSpan deadline, HeaderTransformPlan requestHeaders,
        HeaderTransformPlan responseHeaders, Configuration.IdentityHeadersDefinition identityHeaders)
    {
        _handler = handler;
        IdentityHeaders = identityHeaders;
        RequestHeaders = requestHeaders;
        ResponseHeaders = responseHeaders;
        Plan = plan;
        PartServices = partServices;
        Services = partServices.Distinct().ToArray();
        PartTimeouts = partTimeouts;
        Deadline = deadline;
        ReadsBody = plan.Parts.Any(p => p.Definition.Body);
    }

    public AggregationPlan Plan { get; }

    /// The service of each part, by part index.
    public IReadOnlyList<ServiceRuntime> PartServices { get; }

    public override IReadOnlyList<ServiceRuntime> Services { get; }

    /// Time one call of a part may take (part timeout, else the service's).
    public IReadOnlyList<TimeSpan> PartTimeouts { get; }

    /// Time the whole aggregate may take.
    public TimeSpan Deadline { get; }

    public bool ReadsBody { get; }

    /// The gateway's and route's header edits: request edits apply to every part call, response edits to the answer.
    public HeaderTransformPlan RequestHeaders { get; }
    public HeaderTransformPlan ResponseHeaders { get; }

    /// The names the caller's identity goes to the parts under (`auth.identityHeaders`).
    public Configuration.IdentityHeadersDefinition IdentityHeaders { get; }

    public override Task HandleAsync(HttpContext context, GatewayRoute route) => _handler.HandleAsync(context, route, this);
}
