using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Problems;

namespace Portico.Hosting;

/// Rejects a request whose declared body is over the size limit before any upstream is contacted (Kestrel
/// would only notice once the body is read, after the forwarder had already started the upstream request).
internal sealed class RequestLimitsMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength is { } length
            && context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } max
            && length > max)
        {
            // The unread body stays on the connection; closing it afterwards keeps the next request clean.
            context.Response.Headers.Connection = "close";
            return Problem.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, Problem.Types.RequestTooLarge, "Content Too Large",
                $"The request body ({length} bytes) is over the limit of {max} bytes.");
        }
        return next(context);
    }
}
