using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Hosting;
using Portico.Problems;
using Portico.Routing;
using Portico.Runtime;
using Portico.Services;

namespace Portico.Auth;

/// The gateway's own POST /auth/login and /auth/logout. Login passes the request body, unread, to the configured
/// service's verify path; the service decides and answers 2xx with `{"sub": "...", "scopes": [...]}`. The gateway
/// stores no password and logs none: only the outcome.
internal sealed partial class SessionEndpoints(Sessions sessions, ILogger<SessionEndpoints> logger)
{
    const int MaxLoginBody = 16 * 1024;

    /// Larger answers of the verify service are refused: an identity is a subject and a few scopes.
    internal const int MaxLoginAnswer = 64 * 1024;

    public IEnumerable<Endpoint> For(SessionDefinition settings, GatewayMetadata gateway, ServiceRuntime service, int order)
    {
        yield return Build(settings.LoginPath, "login", gateway, context => LoginAsync(context, settings, service), order);
        yield return Build(settings.LogoutPath, "logout", gateway, context => LogoutAsync(context, settings), order + 1);
    }

    static Endpoint Build(string path, string name, GatewayMetadata gateway, RequestDelegate handler, int order)
    {
        var builder = new RouteEndpointBuilder(handler, RoutePatternFactory.Parse(path), order) { DisplayName = $"portico {name} ({gateway.Gateway})" };
        builder.Metadata.Add(gateway);
        builder.Metadata.Add(new HttpMethodMetadata(["POST"]));
        builder.Metadata.Add(BuiltInEndpointMetadata.Instance);
        return builder.Build();
    }

    async Task LoginAsync(HttpContext context, SessionDefinition settings, ServiceRuntime service)
    {
        // Login CSRF: a browser on another site must not log its victim into the attacker's account.
        if (HasForeignOrigin(context.Request))
        {
            await Problem.WriteAsync(context, StatusCodes.Status403Forbidden, Problem.Types.CrossSiteRequest, "Forbidden", "Login must come from this site.").ConfigureAwait(false);
            return;
        }
        var share = BufferedBodyBudget.For(context);
        byte[] body;
        using (var read = await PooledBody.ReadAsync(context.Request.Body, context.Request.ContentLength, MaxLoginBody, context.RequestAborted, share: share).ConfigureAwait(false))
        {
            if (read.OverBudget)
            {
                await OverloadedAsync(context).ConfigureAwait(false);
                return;
            }
            if (read.TooLarge)
            {
                await Problem.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, Problem.Types.RequestTooLarge, "Payload Too Large", $"A login request is at most {MaxLoginBody} bytes.").ConfigureAwait(false);
                return;
            }
            body = read.ToArray();
        }
        var available = service.Destinations.Available;
        if (available.Length == 0)
        {
            await Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.NoHealthyDestination, "Service Unavailable", $"Service '{service.Name}' cannot check logins right now.", service.Name).ConfigureAwait(false);
            return;
        }
        var destination = service.Balancer.Pick(available);
        using var request = new HttpRequestMessage(HttpMethod.Post, destination.Prefix + settings.VerifyPath) { Content = new ByteArrayContent(body) };
        if (context.Request.ContentType is { } contentType) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(service.Definition.Timeout);
        HttpResponseMessage response;
        try
        {
            response = await service.Invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            LogVerifyFailed(logger, service.Name, ex.GetType().Name);
            await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamUnreachable, "Bad Gateway", $"Service '{service.Name}' could not check the login.", service.Name).ConfigureAwait(false);
            return;
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                LogLoginRefused(logger, (int)response.StatusCode);
                await Problem.WriteAsync(context, StatusCodes.Status401Unauthorized, Problem.Types.Unauthorized, "Unauthorized", "The credentials were refused.").ConfigureAwait(false);
                return;
            }
            var (subject, scopes, answer) = await ReadIdentityAsync(response, share, context.RequestAborted).ConfigureAwait(false);
            if (answer == LoginAnswer.OverBudget)
            {
                await OverloadedAsync(context).ConfigureAwait(false);
                return;
            }
            if (answer == LoginAnswer.TooLarge)
            {
                await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, "Bad Gateway", $"Service '{service.Name}' answered the login with more than {MaxLoginAnswer} bytes.", service.Name).ConfigureAwait(false);
                return;
            }
            if (subject is null)
            {
                await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, "Bad Gateway", $"Service '{service.Name}' accepted the login but named no subject (\"sub\").", service.Name).ConfigureAwait(false);
                return;
            }
            string id;
            try
            {
                // A new id on every login (session fixation): the one the browser brought, if any, ends here.
                if (context.Request.Cookies.TryGetValue(settings.Cookie, out var previous) && previous.Length > 0) await sessions.RemoveAsync(previous, settings).ConfigureAwait(false);
                id = await sessions.CreateAsync(subject, scopes, settings).ConfigureAwait(false);
            }
            catch (SessionStoreUnavailableException)
            {
                await StoreUnavailableAsync(context).ConfigureAwait(false);
                return;
            }
            context.Response.Cookies.Append(settings.Cookie, id, CookieOptions(settings));
            context.Response.Headers.CacheControl = "no-store";
            context.Response.ContentType = "application/json";
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("sub", subject);
                json.WriteEndObject();
            }
            await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
        }
    }

    async Task LogoutAsync(HttpContext context, SessionDefinition settings)
    {
        if (HasForeignOrigin(context.Request))
        {
            await Problem.WriteAsync(context, StatusCodes.Status403Forbidden, Problem.Types.CrossSiteRequest, "Forbidden", "Logout must come from this site.").ConfigureAwait(false);
            return;
        }
        if (context.Request.Cookies.TryGetValue(settings.Cookie, out var id) && id.Length > 0)
        {
            try
            {
                await sessions.RemoveAsync(id, settings).ConfigureAwait(false);
            }
            catch (SessionStoreUnavailableException)
            {
                await StoreUnavailableAsync(context).ConfigureAwait(false);
                return;
            }
        }
        context.Response.Cookies.Delete(settings.Cookie, CookieOptions(settings));
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    static Task StoreUnavailableAsync(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "1";
        return Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.SessionStoreUnavailable, "Service Unavailable",
            "Sessions cannot be stored right now; try again shortly.");
    }

    static CookieOptions CookieOptions(SessionDefinition settings) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = settings.Secure,
        Path = "/",
        MaxAge = settings.Ttl,
    };

    /// A browser always sends Origin on POST; clients that send neither Origin nor Referer (curl, apps) are not browsers.
    static bool HasForeignOrigin(HttpRequest request) =>
        (request.Headers.Origin.Count > 0 || request.Headers.Referer.Count > 0) && !SessionAuthenticationHandler.SameOrigin(request);

    static Task OverloadedAsync(HttpContext context) =>
        Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.Overloaded, "Service Unavailable",
            "The gateway is buffering as many bodies as it may hold; retry shortly.", retryAfter: BufferedBodyBudget.RetryAfter);

    enum LoginAnswer { Read, TooLarge, OverBudget }

    static async Task<(string? Subject, IReadOnlyList<string> Scopes, LoginAnswer Answer)> ReadIdentityAsync(HttpResponseMessage response, BudgetShare? share,
        CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var body = await PooledBody.ReadAsync(stream, response.Content.Headers.ContentLength, MaxLoginAnswer, cancellationToken, share: share).ConfigureAwait(false);
            if (body.OverBudget) return (null, [], LoginAnswer.OverBudget);
            if (body.TooLarge) return (null, [], LoginAnswer.TooLarge);
            using var json = JsonDocument.Parse(body.Memory);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("sub", out var sub)) return (null, [], LoginAnswer.Read);
            var subject = sub.ValueKind == JsonValueKind.String ? sub.GetString() : sub.ValueKind == JsonValueKind.Number ? sub.GetRawText() : null;
            if (subject is null or "" or "." or "..") return (null, [], LoginAnswer.Read);
            var scopes = new List<string>();
            if (root.TryGetProperty("scopes", out var list) && list.ValueKind == JsonValueKind.Array)
                scopes.AddRange(list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
            else if (root.TryGetProperty("scope", out var text) && text.ValueKind == JsonValueKind.String)
                scopes.AddRange(text.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            return (subject, scopes, LoginAnswer.Read);
        }
        catch (JsonException)
        {
            return (null, [], LoginAnswer.Read);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Login refused by the verify service (status {Status})")]
    static partial void LogLoginRefused(ILogger logger, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Login could not be checked: service {Service} failed ({Error})")]
    static partial void LogVerifyFailed(ILogger logger, string service, string error);
}
