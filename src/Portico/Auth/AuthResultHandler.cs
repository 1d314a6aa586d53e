using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Portico.Problems;
using Portico.Telemetry;

namespace Portico.Auth;

/// Turns the authorization middleware's verdict into Portico's answers: 401 problem+json with one
/// WWW-Authenticate per offered scheme, 403 problem+json naming the missing scopes, or, on success, the
/// <see cref="Identity.GatewayIdentity"/> feature set for everything downstream. No scheme's own challenge runs.
internal sealed partial class AuthResultHandler(ILogger<AuthResultHandler> logger, EdgeMetrics metrics) : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var auth = context.GetEndpoint()?.Metadata.GetMetadata<RouteAuth>();
        if (auth is null)
        {
            // Not one of our routes (no policy of ours): behave like ASP.NET's default.
            if (authorizeResult.Succeeded) await next(context).ConfigureAwait(false);
            else context.Response.StatusCode = authorizeResult.Challenged ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
            return;
        }
        if (authorizeResult.Succeeded)
        {
            if (AuthClaims.ToGatewayIdentity(context.User, auth.Schemes) is { } identity)
            {
                if (identity.Flaw is { } flaw)
                {
                    // Upstreams receive the identity as header values; one that cannot be written safely is no credential here.
                    LogUnforwardableIdentity(logger, auth.Route, identity.Method, flaw);
                    metrics.AuthFailed(context, identity.Method, AuthReasons.Invalid);
                    context.Response.Headers.WWWAuthenticate = auth.WwwAuthenticate;
                    await Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, Problem.Types.Unauthorized, "Unauthorized",
                        "The credentials were refused: the identity they carry cannot be passed on.", route: auth.Route).ConfigureAwait(false);
                    return;
                }
                context.Features.Set(identity);
                metrics.AuthSucceeded(context, identity.Method, identity.Consumer ?? identity.Subject);
            }
            await next(context).ConfigureAwait(false);
            return;
        }
        if (authorizeResult.Forbidden)
        {
            var granted = context.User.FindAll(AuthClaims.Scope).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
            var missing = auth.Scopes.Where(s => !granted.Contains(s))
                .Concat(auth.Claims.Where(c => !context.User.HasClaim(x => x.Type == c.Name && (c.Values.Count == 0 || c.Values.Contains(x.Value, StringComparer.Ordinal)))).Select(c => $"claim {c.Name}"))
                .ToList();
            var missingText = string.Join(", ", missing);
            LogForbidden(logger, auth.Route, missingText);
            metrics.AuthFailed(context, AuthClaims.ToGatewayIdentity(context.User, auth.Schemes)?.Method ?? auth.Schemes[0], AuthReasons.Forbidden);
            await Problem.WriteAsync(context, StatusCodes.Status403Forbidden, Problem.Types.Forbidden, "Forbidden",
                $"The caller lacks what this route requires: {missingText}.", route: auth.Route).ConfigureAwait(false);
            return;
        }
        var failure = context.Features.Get<AuthFailureFeature>();
        // No credential presented: the route's first scheme stands for what was expected.
        metrics.AuthFailed(context, failure?.Scheme ?? auth.Schemes[0], failure?.ReasonClass ?? AuthReasons.Missing);
        if (failure is { Unavailable: true })
        {
            LogUnauthorized(logger, auth.Route, failure.Scheme, failure.Reason);
            context.Response.Headers.RetryAfter = "1";
            await Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.SessionStoreUnavailable, "Service Unavailable",
                "Sessions cannot be checked right now; try again shortly.", route: auth.Route).ConfigureAwait(false);
            return;
        }
        if (failure is { Forbidden: true })
        {
            LogUnauthorized(logger, auth.Route, failure.Scheme, failure.Reason);
            await Problem.WriteAsync(context, StatusCodes.Status403Forbidden, Problem.Types.CrossSiteRequest, "Forbidden", $"Refused: {failure.Reason}.", route: auth.Route).ConfigureAwait(false);
            return;
        }
        LogUnauthorized(logger, auth.Route, failure?.Scheme ?? "none", failure?.Reason ?? "no credentials");
        context.Response.Headers.WWWAuthenticate = failure?.Scheme == Configuration.AuthSchemes.Jwt ? auth.WwwAuthenticateInvalidToken : auth.WwwAuthenticate;
        var detail = failure is null
            ? $"This route requires credentials: {string.Join(", ", auth.Schemes)}."
            : $"The credentials were refused: {failure.Reason}.";
        await Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, Problem.Types.Unauthorized, "Unauthorized", detail, route: auth.Route).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused on route {Route}: {Scheme} {Reason}")]
    static partial void LogUnauthorized(ILogger logger, string route, string scheme, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused on route {Route}: the {Scheme} identity holds {Flaw}, which no identity header may carry")]
    static partial void LogUnforwardableIdentity(ILogger logger, string route, string scheme, string flaw);

    [LoggerMessage(Level = LogLevel.Information, Message = "Forbidden on route {Route}: missing scopes {Scopes}")]
    static partial void LogForbidden(ILogger logger, string route, string scopes);
}
