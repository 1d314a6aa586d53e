using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Portico.Runtime;

namespace Portico.Auth;

/// The `session` scheme: the session cookie set by the gateway's login endpoint. Requests with unsafe methods must
/// come from the gateway's own origin (Origin, else Referer): a browser attaches the cookie to cross-site requests too.
internal sealed class SessionAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, HandlerLoggerFactory logger, UrlEncoder encoder, Sessions sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var auth = Context.GetEndpoint()?.Metadata.GetMetadata<RouteAuth>();
        if (auth?.Runtime.Definition.Session is not { } settings) return AuthenticateResult.NoResult();
        if (!Request.Cookies.TryGetValue(settings.Cookie, out var id) || string.IsNullOrEmpty(id)) return AuthenticateResult.NoResult();
        SessionRecord? session;
        try
        {
            session = await sessions.FindAsync(id, settings).ConfigureAwait(false);
        }
        catch (SessionStoreUnavailableException)
        {
            Context.Features.Set(new AuthFailureFeature(Scheme.Name, "the session store is unreachable") { Unavailable = true });
            return AuthenticateResult.Fail("the session store is unreachable");
        }
        if (session is null) return Fail("the session is unknown or has expired", forbidden: false);
        if (!HttpMethods.IsGet(Request.Method) && !HttpMethods.IsHead(Request.Method) && !HttpMethods.IsOptions(Request.Method) && !SameOrigin(Request))
            return Fail("a cookie-authenticated request must come from this site (Origin or Referer)", forbidden: true);
        return AuthenticateResult.Success(new AuthenticationTicket(AuthClaims.Principal(Scheme.Name, session.Subject, null, session.Scopes), Scheme.Name));
    }

    /// CSRF defence: the request's Origin (or, without one, its Referer) names this gateway's scheme and host —
    /// as the client saw them: behind a trusted proxy (TLS termination, another host name) those come from its
    /// X-Forwarded-Proto / X-Forwarded-Host (the left-most entry, the client-facing hop).
    internal static bool SameOrigin(HttpRequest request)
    {
        var source = request.Headers.Origin.ToString();
        if (source.Length == 0 || source == "null") source = request.Headers[HeaderNames.Referer].ToString();
        if (!Uri.TryCreate(source, UriKind.Absolute, out var origin)) return false;
        var scheme = request.Scheme;
        var host = request.Host.Value;
        var holder = request.HttpContext.RequestServices.GetService<RuntimeHolder>();
        if (holder is { HasSnapshot: true } && holder.Current.Clients.IsTrustedPeer(request.HttpContext))
        {
            if (FirstEntry(request.Headers["X-Forwarded-Proto"]) is { } forwardedScheme) scheme = forwardedScheme;
            if (FirstEntry(request.Headers["X-Forwarded-Host"]) is { } forwardedHost) host = forwardedHost;
        }
        return string.Equals(origin.Scheme, scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(origin.Authority, host, StringComparison.OrdinalIgnoreCase);
    }

    static string? FirstEntry(Microsoft.Extensions.Primitives.StringValues values)
    {
        var first = values.Count > 0 ? values[0] : null;
        if (string.IsNullOrEmpty(first)) return null;
        var comma = first.IndexOf(',');
        return (comma >= 0 ? first[..comma] : first).Trim();
    }

    AuthenticateResult Fail(string reason, bool forbidden)
    {
        Context.Features.Set(new AuthFailureFeature(Scheme.Name, reason) { Forbidden = forbidden });
        return AuthenticateResult.Fail(reason);
    }
}
