using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Logging;
using Portico.Configuration;
using Portico.Http;
using Portico.Problems;
using Portico.Routing;
using Portico.Runtime;
using Portico.Services;

namespace Portico.Auth;

/// The gateway's own POST /auth/login and /auth/logout. Login passes a form body, unread, to the configured service's
/// verify path (a JSON body is turned into that form first); the service decides and answers 2xx with
/// `{"sub": "...", "scopes": [...]}`. The gateway stores no password and logs none: only the outcome.
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
        var kind = CredentialsKind(context.Request.ContentType);
        if (kind == Credentials.Unsupported)
        {
            context.Response.Headers["Accept-Post"] = AcceptedTypes;
            await Problem.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, Problem.Types.UnsupportedMediaType, "Unsupported Media Type",
                $"A login is {AcceptedTypes} (UTF-8){(context.Request.ContentType is null ? "; the request has no Content-Type" : "")}.").ConfigureAwait(false);
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
        HttpContent content;
        if (kind == Credentials.Json)
        {
            if (JsonCredentials(body, out var error) is not { } fields)
            {
                await Problem.WriteAsync(context, StatusCodes.Status400BadRequest, Problem.Types.BadRequest, "Bad Request", error).ConfigureAwait(false);
                return;
            }
            // The verify service gets a form whichever way the client sent the credentials: one contract for it.
            content = new FormUrlEncodedContent(fields);
        }
        else
        {
            content = new ByteArrayContent(body);
            content.Headers.TryAddWithoutValidation("Content-Type", context.Request.ContentType);
        }
        var available = service.Destinations.Available;
        var telemetry = Telemetry.RequestTelemetry.Of(context);
        if (available.Length == 0)
        {
            UpstreamCall.NotSent(service, Telemetry.UpstreamMetrics.Kinds.Session, Telemetry.UpstreamMetrics.Outcomes.NoDestination, telemetry);
            content.Dispose();
            await Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.NoHealthyDestination, "Service Unavailable", $"Service '{service.Name}' cannot check logins right now.", service.Name).ConfigureAwait(false);
            return;
        }
        var destination = service.Balancer.Pick(available);
        using var request = new HttpRequestMessage(HttpMethod.Post, destination.Prefix + settings.VerifyPath) { Content = content };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(service.Definition.Timeout);
        var call = UpstreamCall.Http(service, Telemetry.UpstreamMetrics.Kinds.Session, destination.Url, "POST", telemetry);
        Telemetry.TraceContext.Inject(call.Span, request);
        if (telemetry is { RequestIdHeader: { } idHeader, RequestId: { } requestId }) request.Headers.TryAddWithoutValidation(idHeader, requestId);
        HttpResponseMessage response;
        try
        {
            response = await service.Invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
            call.End(UpstreamCall.OutcomeOf((int)response.StatusCode), (int)response.StatusCode);
        }
        catch (Exception ex)
        {
            call.End(ex switch
            {
                HttpRequestException => Telemetry.UpstreamMetrics.Outcomes.ConnectError,
                OperationCanceledException when context.RequestAborted.IsCancellationRequested => Telemetry.UpstreamMetrics.Outcomes.Canceled,
                OperationCanceledException => Telemetry.UpstreamMetrics.Outcomes.Timeout,
                _ => Telemetry.UpstreamMetrics.Outcomes.Error,
            });
            if (!(ex is HttpRequestException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)) throw;
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
            var (subject, scopes, unusable, answer) = await ReadIdentityAsync(response, share, context.RequestAborted).ConfigureAwait(false);
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
            if (subject is not null && unusable is not null)
            {
                LogUnusableIdentity(logger, service.Name, unusable);
                await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, "Bad Gateway",
                    $"Service '{service.Name}' accepted the login but its answer cannot be used: {unusable}.", service.Name).ConfigureAwait(false);
                return;
            }
            if (subject is null)
            {
                await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, "Bad Gateway", $"Service '{service.Name}' accepted the login but named no subject (\"sub\").", service.Name).ConfigureAwait(false);
                return;
            }
            // The session's identity is forwarded as header values later: refuse it now rather than on every request.
            if ((Http.HeaderValue.Flaw(subject) ?? Http.HeaderValue.Flaw(string.Join(' ', scopes))) is { } flaw)
            {
                LogUnforwardableIdentity(logger, service.Name, flaw);
                await Problem.WriteAsync(context, StatusCodes.Status502BadGateway, Problem.Types.UpstreamError, "Bad Gateway",
                    $"Service '{service.Name}' accepted the login but named an identity that cannot be passed on in a header ({flaw}).", service.Name).ConfigureAwait(false);
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

    const string AcceptedTypes = "application/x-www-form-urlencoded, multipart/form-data, application/json";

    enum Credentials { Unsupported, Form, Json }

    /// Forms (what HTML forms post) and JSON (what single-page apps post), UTF-8 only; anything else is refused unread.
    static Credentials CredentialsKind(string? contentType)
    {
        if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var type)) return Credentials.Unsupported;
        var charset = type.Charset;
        if (charset.HasValue && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("\"utf-8\"", StringComparison.OrdinalIgnoreCase))
            return Credentials.Unsupported;
        var media = type.MediaType;
        if (media.Equals("application/json", StringComparison.OrdinalIgnoreCase)) return Credentials.Json;
        return media.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) || media.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            ? Credentials.Form
            : Credentials.Unsupported;
    }

    /// A JSON login's fields for the verify service's form: an object of strings, `username` and `password` among
    /// them, each named once; null with a reason (never the content) otherwise.
    static List<KeyValuePair<string, string>>? JsonCredentials(byte[] body, out string error)
    {
        error = "";
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "A JSON login is an object: {\"username\": \"...\", \"password\": \"...\"}.";
                return null;
            }
            var fields = new List<KeyValuePair<string, string>>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var member in json.RootElement.EnumerateObject())
            {
                if (!names.Add(member.Name))
                {
                    error = "A JSON login names each member once.";
                    return null;
                }
                if (member.Value.ValueKind != JsonValueKind.String)
                {
                    error = "Every member of a JSON login is a string.";
                    return null;
                }
                fields.Add(new(member.Name, member.Value.GetString()!));
            }
            if (!names.Contains("username") || !names.Contains("password"))
            {
                error = "A JSON login has both \"username\" and \"password\".";
                return null;
            }
            return fields;
        }
        catch (JsonException)
        {
            error = "The login body is not valid JSON.";
            return null;
        }
    }

    static Task OverloadedAsync(HttpContext context) =>
        Problem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Problem.Types.Overloaded, "Service Unavailable",
            "The gateway is buffering as many bodies as it may hold; retry shortly.", retryAfter: BufferedBodyBudget.RetryAfter);

    enum LoginAnswer { Read, TooLarge, OverBudget }

    /// What the verify service's 2xx answer says: a subject and scopes, or why it cannot be used (never its content).
    readonly record struct VerifiedIdentity(string? Subject, IReadOnlyList<string> Scopes, string? Problem, LoginAnswer Answer = LoginAnswer.Read);

    static async Task<VerifiedIdentity> ReadIdentityAsync(HttpResponseMessage response, BudgetShare? share, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var body = await PooledBody.ReadAsync(stream, response.Content.Headers.ContentLength, MaxLoginAnswer, cancellationToken, share: share).ConfigureAwait(false);
            if (body.OverBudget) return new(null, [], null, LoginAnswer.OverBudget);
            if (body.TooLarge) return new(null, [], null, LoginAnswer.TooLarge);
            using var json = JsonDocument.Parse(body.Memory);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("sub", out var sub)) return new(null, [], null);
            var subject = sub.ValueKind == JsonValueKind.String ? sub.GetString() : sub.ValueKind == JsonValueKind.Number ? sub.GetRawText() : null;
            if (subject is null or "" or "." or "..") return new(null, [], null);
            // "scopes" wins over the OAuth-style "scope"; either may be an array of strings or one space-separated string.
            var name = root.TryGetProperty("scopes", out var scopes) ? "scopes" : root.TryGetProperty("scope", out scopes) ? "scope" : null;
            if (name is null) return new(subject, [], null);
            return ScopeList(scopes) is { } list
                ? new(subject, list, null)
                : new(subject, [], $"\"{name}\" must be an array of strings or one space-separated string, not {Describe(scopes)}");
        }
        catch (JsonException)
        {
            return new(null, [], null);
        }
    }

    /// Scopes from an array of strings or a space-separated string; null for any other shape, or an item that is empty
    /// or holds whitespace (a session keeps its scopes space-separated, so "a b" would turn into two scopes).
    static List<string>? ScopeList(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String) return [.. value.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        if (value.ValueKind == JsonValueKind.Null) return [];
        if (value.ValueKind != JsonValueKind.Array) return null;
        var list = new List<string>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } scope || scope.Any(char.IsWhiteSpace)) return null;
            list.Add(scope);
        }
        return list;
    }

    /// The JSON shape of a refused value, for the problem and the log: never the value itself.
    static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => "an array holding something other than non-empty strings without spaces",
        JsonValueKind.Object => "an object",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "that",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Login refused: service {Service} named a subject or scope holding {Flaw}")]
    static partial void LogUnforwardableIdentity(ILogger logger, string service, string flaw);

    [LoggerMessage(Level = LogLevel.Information, Message = "Login refused by the verify service (status {Status})")]
    static partial void LogLoginRefused(ILogger logger, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Login refused: service {Service} accepted it but its answer cannot be used ({Reason})")]
    static partial void LogUnusableIdentity(ILogger logger, string service, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Login could not be checked: service {Service} failed ({Error})")]
    static partial void LogVerifyFailed(ILogger logger, string service, string error);
}
