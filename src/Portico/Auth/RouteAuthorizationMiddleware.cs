using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace Portico.Auth;

/// Runs a Portico route's authorization policy with ASP.NET's own pieces: the policy evaluator authenticates
/// (<see cref="RoutePolicyEvaluator"/>) and authorizes, the result handler answers (<see cref="AuthResultHandler"/>).
/// The policy is not endpoint metadata, so an app that embeds Portico and runs its own UseAuthorization does not
/// evaluate Portico's routes a second time, and Portico's routes never depend on where the app placed it.
internal sealed class RouteAuthorizationMiddleware(RequestDelegate next, IPolicyEvaluator evaluator, IAuthorizationMiddlewareResultHandler results)
{
    // Public routes pass straight through: no async frame.
    public Task InvokeAsync(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RouteAuth>() is { } auth ? AuthorizeAsync(context, auth.Policy) : next(context);

    async Task AuthorizeAsync(HttpContext context, AuthorizationPolicy policy)
    {
        var authenticated = await evaluator.AuthenticateAsync(policy, context).ConfigureAwait(false);
        var authorized = await evaluator.AuthorizeAsync(policy, authenticated, context, context).ConfigureAwait(false);
        await results.HandleAsync(next, context, policy, authorized).ConfigureAwait(false);
    }
}
