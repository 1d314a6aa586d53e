using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portico.Configuration;
using Portico.Runtime;

namespace Portico.Auth;

/// Wires edge authentication: the `apikey` and `jwt` schemes, the authorization middleware that evaluates each
/// route's compiled policy (endpoint metadata), and Portico's 401/403 answers.
internal static class AuthServiceExtensions
{
    const string AuthenticationMiddlewareSetKey = "__AuthenticationMiddlewareSet";
    const string AuthorizationMiddlewareSetKey = "__AuthorizationMiddlewareSet";

    public static IServiceCollection AddPorticoAuth(this IServiceCollection services)
    {
        services.AddSingleton<JwksKeyCache>();
        services.AddSingleton<RuntimeConsumers>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<Sessions>();
        services.AddSingleton<SessionEndpoints>();
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>, JwtBearerSetup>();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(AuthSchemes.ApiKey, null)
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(AuthSchemes.Basic, null)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(AuthSchemes.Session, null)
            .AddScheme<JwtBearerOptions, RememberingJwtBearerHandler>(AuthSchemes.Jwt, null);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<JwtBearerOptions>, JwtBearerPostConfigureOptions>());
        services.AddAuthorization();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, AuthResultHandler>();
        // One evaluator for the process (it holds no request state), so its authorization service and handler list
        // are not rebuilt for every request as the framework's transient evaluator's are.
        services.AddSingleton<Microsoft.AspNetCore.Authorization.Policy.IPolicyEvaluator, RoutePolicyEvaluator>();
        services.AddSingleton(sp => new HandlerLoggerFactory(sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        return services;
    }

    /// After routing: each matched route's policy runs before its handler. JwtBearer options follow the live config.
    internal static IApplicationBuilder UsePorticoAuth(this IApplicationBuilder app)
    {
        var holder = app.ApplicationServices.GetRequiredService<RuntimeHolder>();
        var cache = app.ApplicationServices.GetRequiredService<IOptionsMonitorCache<JwtBearerOptions>>();
        holder.Swapped += _ => cache.TryRemove(AuthSchemes.Jwt);
        // Created now, so the consumers file is read at start rather than on the first API-key request.
        app.ApplicationServices.GetRequiredService<RuntimeConsumers>();
        return app.UseMiddleware<RouteAuthorizationMiddleware>();
    }

    /// Minimal hosting adds UseAuthentication and UseAuthorization in front of an app's whole pipeline unless the
    /// app marks them as placed (these are the keys those methods set). A host that only serves Portico wants
    /// neither: no scheme is a default or a request handler, and Portico authorizes its own routes. Two async
    /// frames less on every request.
    internal static void MarkAuthMiddlewarePlaced(IApplicationBuilder app)
    {
        app.Properties[AuthenticationMiddlewareSetKey] = true;
        app.Properties[AuthorizationMiddlewareSetKey] = true;
    }

    /// Adds a route's auth metadata (policy and challenge data) to its endpoint; nothing for anonymous routes.
    internal static void AddRouteAuth(IList<object> metadata, RouteDefinition route, GatewayDefinition gateway, AuthRuntime? auth)
    {
        var schemes = route.SchemesOn(gateway);
        if (auth is null || schemes.Count == 0) return;
        var routeAuth = new RouteAuth(auth, schemes, route.Scopes ?? [], route.Claims ?? [], route.Name);
        metadata.Add(routeAuth);
    }
}
