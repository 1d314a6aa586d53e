using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portico.IntegrationTests.Infrastructure;
using Portico.Problems;

namespace Portico.IntegrationTests.Auth;

/// The shapes of `scopes` a users service may answer a login with: an array of strings or an OAuth-style
/// space-separated string become the session's scopes; any other shape refuses the login with a 502 naming the service.
public sealed class SessionScopesTests : IAsyncLifetime
{
    // What the users service answers, by user name (the password is not checked here).
    static readonly Dictionary<string, string> Answers = new()
    {
        ["array"] = """{"sub":"array","scopes":["users:read","orders:write"]}""",
        ["spaced"] = """{"sub":"spaced","scopes":"users:read  orders:write"}""",
        ["oauth"] = """{"sub":"oauth","scope":"users:read orders:write"}""",
        ["none"] = """{"sub":"none"}""",
        ["number"] = """{"sub":"number","scopes":42}""",
        ["object"] = """{"sub":"object","scopes":{"users:read":true}}""",
        ["mixed"] = """{"sub":"mixed","scopes":["users:read",7]}""",
        ["spacedItem"] = """{"sub":"spacedItem","scopes":["users:read orders:write"]}""",
        ["badScope"] = """{"sub":"badScope","scope":["users:read",{}]}""",
    };

    sealed class CapturingProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Capturing(Lines);

        public void Dispose()
        {
        }

        sealed class Capturing(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception));
        }
    }

    readonly CapturingProvider _logs = new();
    GatewayFixture _session = null!;

    public async ValueTask InitializeAsync() => _session = await GatewayFixture.StartAsync("users", f => $$"""
        services:
          users: { urls: ["{{f.Backend.Url}}"] }
        auth:
          session: { cookie: sid, login: { service: users, path: /auth/verify }, secure: false }
        routes:
          - name: orders
            match: { path: "/orders/{id}" }
            service: users
            auth: [session]
            scopes: [orders:write]
        """, map: app => app.MapPost("/auth/verify", async (HttpContext c) =>
            Answers.TryGetValue((await c.Request.ReadFormAsync())["username"].ToString(), out var answer)
                ? Results.Text(answer, "application/json")
                : Results.StatusCode(StatusCodes.Status401Unauthorized)),
        services: s => s.AddSingleton<ILoggerProvider>(_logs));

    public async ValueTask DisposeAsync()
    {
        await _session.DisposeAsync();
        _logs.Dispose();
    }

    Task<HttpResponseMessage> LoginAsync(string user) => SessionLogins.LoginAsync(_session.Client, user, "pw-" + user + "-secret");

    async Task<HttpStatusCode> OrdersWithSessionOfAsync(HttpResponseMessage login)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders/1");
        request.Headers.Add("Cookie", login.Headers.GetValues("Set-Cookie").Single().Split(';')[0]);
        using var response = await _session.Client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Theory]
    [InlineData("array")]
    [InlineData("spaced")]
    [InlineData("oauth")]
    public async Task Login_ScopesAsArrayOrSpaceSeparatedString_SessionHasThem(string user)
    {
        using var login = await LoginAsync(user);

        login.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await OrdersWithSessionOfAsync(login)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Login_NoScopes_SessionWithoutScopes_ScopedRouteForbidden()
    {
        using var login = await LoginAsync("none");

        login.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await OrdersWithSessionOfAsync(login)).ShouldBe(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("number", "\"scopes\"", "a number")]
    [InlineData("object", "\"scopes\"", "an object")]
    [InlineData("mixed", "\"scopes\"", "an array")]
    [InlineData("spacedItem", "\"scopes\"", "an array")]
    [InlineData("badScope", "\"scope\"", "an array")]
    public async Task Login_ScopesOfAnotherShape_Is502NamingTheService_NoSession_Logged(string user, string member, string shape)
    {
        using var login = await LoginAsync(user);

        login.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        login.Headers.Contains("Set-Cookie").ShouldBeFalse();
        var problem = await ProblemResponse.ReadAsync(login, TestContext.Current.CancellationToken);
        problem.Type.ShouldBe(Problem.Types.UpstreamError);
        problem.Service.ShouldBe("users");
        problem.Text.ShouldContain("Service 'users'");
        problem.Text.ShouldContain(member.Replace("\"", "\\\"", StringComparison.Ordinal));
        problem.Text.ShouldContain(shape);
        _logs.Lines.ShouldContain(l => l.Contains("users", StringComparison.Ordinal) && l.Contains("cannot be used", StringComparison.Ordinal));
        _logs.Lines.ShouldNotContain(l => l.Contains("pw-" + user + "-secret", StringComparison.Ordinal));
    }
}
