using Microsoft.AspNetCore.Http;
using Portico.Problems;

namespace Portico.Hosting;

/// Requests no route accepts get a problem+json 404 (or 405 when only the method is wrong) instead of an
/// empty response. Matched requests pass straight through (no extra await on the hot path). Embedded, the
/// gateways' listeners answer the same way (PorticoEdge); the app's own listeners keep the app's answers.
internal sealed class UnmatchedRequestMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null) return NotFoundAsync(context);
        // ASP.NET routing answers a wrong method with its own empty 405 endpoint.
        return endpoint.DisplayName?.StartsWith("405 ", StringComparison.Ordinal) == true ? MethodNotAllowedAsync(context, next) : next(context);
    }

    public static Task NotFoundAsync(HttpContext context) =>
        Problem.WriteAsync(context, StatusCodes.Status404NotFound, Problem.Types.NotFound, "Not Found", $"No route matches {context.Request.Method} {context.Request.Path}.");

    /// Runs <paramref name="next"/> and turns routing's empty 405 into problem+json. Embedded, it wraps the app's
    /// pipeline from before routing, so the endpoint is looked at once the pipeline has run.
    public static async Task MethodNotAllowedAsync(HttpContext context, RequestDelegate next)
    {
        await next(context).ConfigureAwait(false);
        if (context.Response.StatusCode != StatusCodes.Status405MethodNotAllowed || context.Response.HasStarted
            || context.GetEndpoint()?.DisplayName?.StartsWith("405 ", StringComparison.Ordinal) != true) return;
        // The Allow header routing set stays: the problem writer keeps headers other than the body's.
        await Problem.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, Problem.Types.MethodNotAllowed, "Method Not Allowed",
            $"{context.Request.Method} is not allowed on {context.Request.Path}.").ConfigureAwait(false);
    }
}
