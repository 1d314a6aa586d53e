using Microsoft.AspNetCore.Http;
using Portico.Problems;

namespace Portico.Hosting;

/// Requests no route accepts get a problem+json 404 (or 405 when only the method is wrong) instead of an
/// empty response.
internal sealed class UnmatchedRequestMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            await Problem.WriteAsync(context, StatusCodes.Status404NotFound, Problem.Types.NotFound, "Not Found",
                $"No route matches {context.Request.Method} {context.Request.Path}.").ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
        if (context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed && !context.Response.HasStarted
            && endpoint.DisplayName?.StartsWith("405 ", StringComparison.Ordinal) == true)
        {
            var allow = context.Response.Headers.Allow;
            await Problem.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, Problem.Types.MethodNotAllowed, "Method Not Allowed",
                $"{context.Request.Method} is not allowed on {context.Request.Path}.").ConfigureAwait(false);
            context.Response.Headers.Allow = allow;
        }
    }
}
