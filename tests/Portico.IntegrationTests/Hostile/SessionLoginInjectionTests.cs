using System.Net;
using Portico.IntegrationTests.Infrastructure;
using Portico.Problems;

namespace Portico.IntegrationTests.Hostile;

/// A login service that accepts a login but names a subject or scope that could not travel as a header value: the
/// login is refused 502 naming the service, no session is created, and no later request carries that identity.
public sealed class SessionLoginInjectionTests
{
    [Theory]
    [InlineData("""{"sub":"alice\r\nX-User-Id: root","scopes":["users:read"]}""")]
    [InlineData("""{"sub":"alice\u0000root","scopes":["users:read"]}""")]
    [InlineData("""{"sub":"alice","scopes":["users:read\nX-User-Id: root"]}""")]
    [InlineData("""{"sub":"alice\u007f","scopes":[]}""")]
    public async Task Login_ServiceNamesUnsafeIdentity_Refused502NoSession(string answer)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var users = RecordingSocketBackend.Start(_ => answer);
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              users: { urls: ["{{users.Url}}"] }
            auth:
              session: { cookie: sid, login: { service: users, path: /auth/verify }, ttl: 8h, idle: 30m, secure: false }
            routes:
              - name: me
                match: { path: /users/me }
                service: users
                auth: [session]
            """);
        using var client = gateway.CreateClient();

        var login = await SessionLogins.LoginAsync(client, password: "pw");

        login.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        var problem = await ProblemResponse.ReadAsync(login, ct);
        problem.Type.ShouldBe(Problem.Types.UpstreamError);
        problem.Service.ShouldBe("users");
        problem.Text.ShouldNotContain("root");
        login.Headers.Contains("Set-Cookie").ShouldBeFalse();
        users.Heads.ShouldHaveSingleItem().ShouldStartWith("POST /auth/verify HTTP/1.1");
    }
}
