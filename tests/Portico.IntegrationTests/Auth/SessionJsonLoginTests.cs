using System.Net;
using System.Text;
using Portico.IntegrationTests.Infrastructure;
using Portico.Problems;

namespace Portico.IntegrationTests.Auth;

/// POST /auth/login with the JSON body single-page apps send: the users service (which reads a form) gets the same
/// credentials as from an HTML form; other media types are 415, broken JSON 400, and neither reaches the service.
public sealed class SessionJsonLoginTests : IAsyncLifetime
{
    GatewayFixture _session = null!;
    int _verifyCalls;

    public async ValueTask InitializeAsync() => _session = await GatewayFixture.StartAsync("users", f => $$"""
        services:
          users: { urls: ["{{f.Backend.Url}}"] }
        auth:
          session: { cookie: sid, login: { service: users, path: /auth/verify }, secure: false }
        routes:
          - name: me
            match: { path: /users/me }
            service: users
            auth: [session]
            rewrite: "/users/{identity.sub}"
        """, map: SessionLogins.VerifiesAlice(onCall: () => Interlocked.Increment(ref _verifyCalls)));

    public ValueTask DisposeAsync() => _session.DisposeAsync();

    async Task<HttpResponseMessage> LoginAsync(string body, string? contentType, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/login") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (origin is not null) request.Headers.Add("Origin", origin);
        return await _session.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; charset=\"UTF-8\"")]
    public async Task Login_JsonCredentials_GoodPassword_CreatesASession(string contentType)
    {
        using var login = await LoginAsync("""{"username":"alice","password":"alice-pass"}""", contentType);
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        using var me = new HttpRequestMessage(HttpMethod.Get, "/users/me");
        me.Headers.Add("Cookie", cookie);
        using var response = await _session.Client.SendAsync(me, TestContext.Current.CancellationToken);

        login.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _session.Backend.Received.Last().PathAndQuery.ShouldBe("/users/alice");
    }

    [Fact]
    public async Task Login_JsonCredentials_WrongPassword_Is401()
    {
        using var login = await LoginAsync("""{"username":"alice","password":"wrong"}""", "application/json");

        login.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await ProblemResponse.ReadAsync(login, TestContext.Current.CancellationToken)).Type.ShouldBe(Problem.Types.Unauthorized);
        login.Headers.Contains("Set-Cookie").ShouldBeFalse();
        _verifyCalls.ShouldBe(1);
    }

    [Fact]
    public async Task Login_JsonFromForeignOrigin_Is403_ServiceNotCalled()
    {
        using var login = await LoginAsync("""{"username":"alice","password":"alice-pass"}""", "application/json", origin: "https://evil.example");

        login.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await ProblemResponse.ReadAsync(login, TestContext.Current.CancellationToken)).Type.ShouldBe(Problem.Types.CrossSiteRequest);
        login.Headers.Contains("Set-Cookie").ShouldBeFalse();
        _verifyCalls.ShouldBe(0);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/jsonx")]
    [InlineData(null)]
    public async Task Login_OtherContentType_Is415NamingTheAcceptedTypes_ServiceNotCalled(string? contentType)
    {
        using var login = await LoginAsync("""{"username":"alice","password":"alice-pass"}""", contentType);

        login.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        var problem = await ProblemResponse.ReadAsync(login, TestContext.Current.CancellationToken);
        problem.Type.ShouldBe(Problem.Types.UnsupportedMediaType);
        problem.Text.ShouldContain("application/json");
        problem.Text.ShouldContain("application/x-www-form-urlencoded");
        login.Headers.GetValues("Accept-Post").Single().ShouldContain("application/json");
        login.Headers.Contains("Set-Cookie").ShouldBeFalse();
        _verifyCalls.ShouldBe(0);
    }

    [Theory]
    [InlineData("""{"username":"alice","password":""")]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("""["alice","alice-pass"]""")]
    [InlineData("""{"username":"alice"}""")]
    [InlineData("""{"password":"alice-pass"}""")]
    [InlineData("""{"username":"alice","password":123}""")]
    [InlineData("""{"username":null,"password":"alice-pass"}""")]
    [InlineData("""{"username":"alice","password":"alice-pass","remember":true}""")]
    [InlineData("""{"username":"mallory","password":"x","username":"alice"}""")]
    public async Task Login_MalformedJson_Is400_ServiceNotCalled(string body)
    {
        using var login = await LoginAsync(body, "application/json");

        login.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await ProblemResponse.ReadAsync(login, TestContext.Current.CancellationToken);
        problem.Type.ShouldBe(Problem.Types.BadRequest);
        problem.Text.ShouldNotContain("alice-pass");
        login.Headers.Contains("Set-Cookie").ShouldBeFalse();
        _verifyCalls.ShouldBe(0);
    }

    [Fact]
    public async Task Login_JsonLargerThanTheBound_Is413_ServiceNotCalled()
    {
        using var login = await LoginAsync($$"""{"username":"alice","password":"{{new string('p', 20_000)}}"}""", "application/json");

        login.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        (await ProblemResponse.ReadAsync(login, TestContext.Current.CancellationToken)).Type.ShouldBe(Problem.Types.RequestTooLarge);
        _verifyCalls.ShouldBe(0);
    }
}
