using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Portico.IntegrationTests.Infrastructure;
using Portico.Problems;

namespace Portico.IntegrationTests.Auth;

/// Cookie sessions through real HTTP: the users service checks the password at /auth/verify, the gateway keeps the
/// session. Time is a FakeTimeProvider so idle and absolute timeouts are tested without waiting.
public sealed class SessionTests : IAsyncLifetime
{
    readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    GatewayFixture _session = null!;

    public async ValueTask InitializeAsync() => _session = await GatewayFixture.StartAsync("users", f => $$"""
        services:
          users: { urls: ["{{f.Backend.Url}}"] }
        auth:
          session: { cookie: sid, login: { service: users, path: /auth/verify }, ttl: 8h, idle: 30m, secure: false }
        routes:
          - name: me
            match: { path: /users/me }
            service: users
            auth: [session]
            rewrite: "/users/{identity.sub}"
          - name: orders
            match: { path: "/orders/{id}" }
            service: users
            auth: [session]
            scopes: [users:read]
        """, map: SessionLogins.VerifiesAlice(), time: _time);

    public ValueTask DisposeAsync() => _session.DisposeAsync();

    Task<HttpResponseMessage> LoginAsync(string password = "alice-pass", string? cookie = null, string? origin = null) =>
        SessionLogins.LoginAsync(_session.Client, password: password, cookie: cookie, origin: origin);

    static string SessionCookie(HttpResponseMessage login) => SessionLogins.Cookie(login);

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? cookie, string? origin = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        if (origin is not null) request.Headers.Add("Origin", origin);
        return await _session.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    string Self => _session.Gateway.BaseAddress().GetLeftPart(UriPartial.Authority);

    [Fact]
    public async Task Login_GoodPassword_SetsAnHttpOnlyLaxCookie_AndUsersMeAnswersForAlice()
    {
        using var login = await LoginAsync();
        var cookie = SessionCookie(login);
        _session.Backend.Received.Clear();

        using var me = await SendAsync(HttpMethod.Get, "/users/me", cookie + "; theme=dark");

        login.StatusCode.ShouldBe(HttpStatusCode.OK);
        var setCookie = login.Headers.GetValues("Set-Cookie").Single().ToLowerInvariant();
        setCookie.ShouldContain("httponly");
        setCookie.ShouldContain("samesite=lax");
        setCookie.ShouldContain("path=/");
        setCookie.ShouldNotContain("secure");
        cookie.Length.ShouldBeGreaterThan("sid=".Length + 40);
        me.StatusCode.ShouldBe(HttpStatusCode.OK);
        var upstream = _session.Backend.Received.Single();
        upstream.PathAndQuery.ShouldBe("/users/alice");
        upstream.Headers["X-User-Id"].ShouldBe("alice");
        upstream.Headers["X-Auth-Method"].ShouldBe("session");
        upstream.Headers["Cookie"].ShouldBe("theme=dark");
    }

    [Fact]
    public async Task Login_WrongPassword_Is401ProblemWithoutCookie()
    {
        using var login = await LoginAsync("wrong");

        login.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await ProblemResponse.ReadAsync(login, TestContext.Current.CancellationToken)).Type.ShouldBe(Problem.Types.Unauthorized);
        login.Headers.Contains("Set-Cookie").ShouldBeFalse();
    }

    [Fact]
    public async Task Session_ForgedCookie_Is401WithCookieChallenge()
    {
        using var response = await SendAsync(HttpMethod.Get, "/users/me", "sid=" + Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('x', 32))));

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.Single().ToString().ShouldStartWith("Cookie");
    }

    [Fact]
    public async Task Session_IdleLongerThanIdleTimeout_Expires_ActivityKeepsItAlive()
    {
        using var login = await LoginAsync();
        var cookie = SessionCookie(login);

        _time.Advance(TimeSpan.FromMinutes(29));
        using var stillAlive = await SendAsync(HttpMethod.Get, "/users/me", cookie);
        _time.Advance(TimeSpan.FromMinutes(29));
        using var keptAlive = await SendAsync(HttpMethod.Get, "/users/me", cookie);
        _time.Advance(TimeSpan.FromMinutes(31));
        using var expired = await SendAsync(HttpMethod.Get, "/users/me", cookie);

        stillAlive.StatusCode.ShouldBe(HttpStatusCode.OK);
        keptAlive.StatusCode.ShouldBe(HttpStatusCode.OK);
        expired.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Session_OlderThanTtl_ExpiresEvenWhenActive()
    {
        using var login = await LoginAsync();
        var cookie = SessionCookie(login);
        for (var i = 0; i < 16; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(29));
            using var active = await SendAsync(HttpMethod.Get, "/users/me", cookie);
            active.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        _time.Advance(TimeSpan.FromMinutes(29));
        using var expired = await SendAsync(HttpMethod.Get, "/users/me", cookie);

        expired.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Logout_EndsTheSession()
    {
        using var login = await LoginAsync();
        var cookie = SessionCookie(login);

        using var logout = await SendAsync(HttpMethod.Post, "/auth/logout", cookie);
        using var after = await SendAsync(HttpMethod.Get, "/users/me", cookie);

        logout.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        after.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Login_Again_RotatesTheSessionId_OldOneStopsWorking()
    {
        using var first = await LoginAsync();
        var old = SessionCookie(first);

        using var second = await LoginAsync(cookie: old);
        var fresh = SessionCookie(second);
        using var withOld = await SendAsync(HttpMethod.Get, "/users/me", old);
        using var withFresh = await SendAsync(HttpMethod.Get, "/users/me", fresh);

        fresh.ShouldNotBe(old);
        withOld.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        withFresh.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task UnsafeMethod_WithCookieFromForeignOrigin_Is403_SameOriginPasses()
    {
        using var login = await LoginAsync();
        var cookie = SessionCookie(login);
        _session.Backend.Received.Clear();

        using var foreign = await SendAsync(HttpMethod.Post, "/orders/1", cookie, origin: "https://evil.example");
        using var noOrigin = await SendAsync(HttpMethod.Delete, "/orders/1", cookie);
        using var same = await SendAsync(HttpMethod.Post, "/orders/1", cookie, origin: Self);

        foreign.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await ProblemResponse.ReadAsync(foreign, TestContext.Current.CancellationToken)).Type.ShouldBe(Problem.Types.CrossSiteRequest);
        noOrigin.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        same.StatusCode.ShouldBe(HttpStatusCode.OK);
        _session.Backend.Received.Select(r => r.Method).ShouldBe(["POST"]);
    }

    [Fact]
    public async Task Login_FromForeignOrigin_Is403_NoSession()
    {
        using var login = await LoginAsync(origin: "https://evil.example");

        login.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        login.Headers.Contains("Set-Cookie").ShouldBeFalse();
    }
}
