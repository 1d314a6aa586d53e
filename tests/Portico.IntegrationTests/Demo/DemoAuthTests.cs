using System.Net;
using System.Text.Json;
using Portico.Auth;
using Portico.Demo;

namespace Portico.IntegrationTests.Demo;

/// The demo's auth story: the printed API key is the one the config's hash accepts, alice logs in for a JWT,
/// /users/me is answered for her, and without credentials the user route is refused.
[Collection(DemoCollection.Name)]
public sealed class DemoAuthTests
{
    /// The key the demo prints; derived, so README and config stay in step with the code.
    public static readonly string DemoKey = ApiKeys.Derive("portico-demo");

    [Fact]
    public void DemoConfig_ConsumerKeyHash_IsTheHashOfThePrintedKey()
    {
        var config = Portico.Hosting.ConfigLoader.LoadFile(Path.Combine(ReadmeDemo.RepositoryRoot(), "samples", "Portico.Demo", "portico.yaml"));

        config.Success.ShouldBeTrue(string.Join("; ", config.Errors));
        config.Config!.Auth!.Consumers.Single(c => c.Id == "demo-app").Keys.Single().Hash.ShouldBe(ApiKeys.Hash(DemoKey));
        DemoHost.CurlLines[0].ShouldContain(DemoKey);
    }

    [Fact]
    public async Task Demo_LoginThenUsersMe_AnswersForAlice_WithoutCredentials401()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var demo = await DemoHost.StartAsync(cancellationToken: ct);
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, UseProxy = false }) { BaseAddress = new Uri(demo.GatewayUrl) };

        using var anonymous = await client.GetAsync("/api/users/1", ct);
        using var wrongPasswordForm = new FormUrlEncodedContent([new("username", "alice"), new("password", "nope")]);
        using var wrongPassword = await client.PostAsync("/auth/token", wrongPasswordForm, ct);
        using var loginForm = new FormUrlEncodedContent([new("username", "alice"), new("password", "alice-demo-pass")]);
        using var login = await client.PostAsync("/auth/token", loginForm, ct);
        using var loginBody = JsonDocument.Parse(await login.Content.ReadAsStringAsync(ct));
        var token = loginBody.RootElement.GetProperty("access_token").GetString();
        using var me = new HttpRequestMessage(HttpMethod.Get, "/users/me");
        me.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var meResponse = await client.SendAsync(me, ct);

        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        wrongPassword.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        login.StatusCode.ShouldBe(HttpStatusCode.OK);
        meResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var alice = JsonDocument.Parse(await meResponse.Content.ReadAsStringAsync(ct));
        alice.RootElement.GetProperty("email").GetString().ShouldBe("alice@example.com");
    }

    [Fact]
    public async Task Demo_CookieLogin_UsersMeAnswersForAlice()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var demo = await DemoHost.StartAsync(cancellationToken: ct);
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, UseProxy = false }) { BaseAddress = new Uri(demo.GatewayUrl) };

        using var loginForm = new FormUrlEncodedContent([new("username", "alice"), new("password", "alice-demo-pass")]);
        using var login = await client.PostAsync("/auth/login", loginForm, ct);
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        using var me = new HttpRequestMessage(HttpMethod.Get, "/users/me");
        me.Headers.Add("Cookie", cookie);
        using var meResponse = await client.SendAsync(me, ct);

        login.StatusCode.ShouldBe(HttpStatusCode.OK);
        cookie.ShouldStartWith("portico_session=");
        meResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var alice = JsonDocument.Parse(await meResponse.Content.ReadAsStringAsync(ct));
        alice.RootElement.GetProperty("email").GetString().ShouldBe("alice@example.com");
    }
}
