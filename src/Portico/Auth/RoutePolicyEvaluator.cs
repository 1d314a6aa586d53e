using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.Auth;

/// The authorization middleware's authentication step on Portico's routes. A route's schemes are alternatives,
/// so their handlers run in order and the first that succeeds is the caller: the later ones do not run, and its
/// principal is used as it is (the framework's evaluator runs every scheme, merges the principals and builds a
/// new ticket per request). Handlers are called directly: Portico registers no claims transformation, which is
/// all the authentication service would add. Authorization (the route's requirements) stays the framework's.
internal sealed class RoutePolicyEvaluator(IAuthorizationService authorization) : PolicyEvaluator(authorization)
{
    public override Task<AuthenticateResult> AuthenticateAsync(AuthorizationPolicy policy, HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RouteAuth>() is null || policy.AuthenticationSchemes.Count == 0
            ? base.AuthenticateAsync(policy, context)
            : FirstSuccessAsync(policy.AuthenticationSchemes, context);

    static async Task<AuthenticateResult> FirstSuccessAsync(IReadOnlyList<string> schemes, HttpContext context)
    {
        var handlers = context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
        foreach (var scheme in schemes)
        {
            if (await handlers.GetHandlerAsync(context, scheme).ConfigureAwait(false) is not { } handler)
                throw new InvalidOperationException($"No authentication handler is registered for the scheme '{scheme}'.");
            var result = await handler.AuthenticateAsync().ConfigureAwait(false);
            if (result.Succeeded)
            {
                context.User = result.Principal!;
                return result;
            }
        }
        context.User = new ClaimsPrincipal(new ClaimsIdentity());
        return AuthenticateResult.NoResult();
    }
}
