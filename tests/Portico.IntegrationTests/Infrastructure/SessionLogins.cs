using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Portico.IntegrationTests.Infrastructure;

/// Cookie-session logins through a gateway whose `auth.session` checks passwords at the users service's /auth/verify.
public static class SessionLogins
{
    /// For TestBackend.StartAsync: /auth/verify accepts the form alice / alice-pass and answers her subject with the
    /// scope users:read, anything else 401. <paramref name="onCall"/> runs on every call, before the check.
    public static Action<WebApplication> VerifiesAlice(Action? onCall = null) => app => app.MapPost("/auth/verify", async (HttpContext c) =>
    {
        onCall?.Invoke();
        var form = await c.Request.ReadFormAsync();
        return form["username"] == "alice" && form["password"] == "alice-pass"
            ? Results.Text("{\"sub\":\"alice\",\"scopes\":[\"users:read\"]}", "application/json")
            : Results.StatusCode(StatusCodes.Status401Unauthorized);
    });

    /// POST /auth/login with these credentials as a form, sending the cookie and Origin given.
    public static async Task<HttpResponseMessage> LoginAsync(HttpClient client, string username = "alice", string password = "alice-pass",
        string? cookie = null, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login")
        {
            Content = new FormUrlEncodedContent([new("username", username), new("password", password)]),
        };
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        if (origin is not null) request.Headers.Add("Origin", origin);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// The `sid=…` pair a login set, as a Cookie header sends it back.
    public static string Cookie(HttpResponseMessage login) =>
        login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sid=", StringComparison.Ordinal)).Split(';')[0];
}
