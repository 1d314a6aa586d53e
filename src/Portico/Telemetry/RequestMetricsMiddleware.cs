using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Portico.Telemetry;

/// First of a Portico endpoint's policies: tags ASP.NET Core's request metrics (`http.server.request.duration`)
/// with the gateway and route, and counts the route's active requests. The tags feature exists only while the
/// request metrics are exported, so without an exporter this costs two lookups.
internal sealed class RequestMetricsMiddleware(RequestDelegate next, PorticoMetrics metrics)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<EndpointTelemetry>() is not { } endpoint) return next(context);
        if (RequestTelemetry.Of(context) is { } request)
        {
            request.Gateway = endpoint.Gateway;
            request.Route = endpoint.Route;
        }
        if (context.Features.Get<IHttpMetricsTagsFeature>() is { } tags)
        {
            tags.Tags.Add(endpoint.GatewayTag);
            tags.Tags.Add(endpoint.RouteTag);
        }
        return metrics.ActiveRequestsEnabled ? TrackedAsync(context, endpoint) : next(context);
    }

    async Task TrackedAsync(HttpContext context, EndpointTelemetry endpoint)
    {
        endpoint.Activity.Enter();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            endpoint.Activity.Leave();
        }
    }
}
