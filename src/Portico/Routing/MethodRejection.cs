using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Problems;

namespace Portico.Routing;

/// Endpoint metadata of the stand-in that answers 405 for a route with `otherMethods: reject`: it matches the
/// route's path, gateway, hosts and conditions for any method and sits right after the route, before any less
/// specific route. It stands aside when another route for the same path template takes the method
/// (<see cref="MethodRejectionMatcherPolicy"/>).
/// <param name="SamePath">The gateway's routes with the same path template (the route itself included).</param>
/// <param name="Allow">The `Allow` header: the methods those routes take (HEAD with GET).</param>
internal sealed record MethodRejection(string Route, IReadOnlySet<RouteDefinition> SamePath, string Allow)
{
    public Task WriteAsync(HttpContext context)
    {
        context.Response.Headers.Allow = Allow;
        return Problem.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, Problem.Types.MethodNotAllowed, "Method Not Allowed",
            $"{context.Request.Method} is not allowed on {context.Request.Path}; allowed: {Allow}.", route: Route);
    }
}
