using System.Net;
using Portico.IntegrationTests.Infrastructure;
using Portico.Problems;

namespace Portico.IntegrationTests.Auth;

/// Sessions with `store: redis`, through two gateway processes sharing one real redis-server.
public sealed class ClusterSessionTests
{
    static Task<TestBackend> UsersAsync() => TestBackend.StartAsync("users", SessionLogins.VerifiesAlice());

    static string Config(TestBackend users, RedisServer redis, string sessionStore = "") => $$"""
        services:
          users: { urls: ["{{users.Url}}"] }
        store: { kind: redis, connection: "127.0.0.1:{{redis.Port}}", timeout: 300ms }
        auth:
          session: { cookie: sid, login: { service: users, path: /auth/verify }, ttl: 8h, idle: 30m, secure: false{{sessionStore}} }
        routes:
          - name: me
            match: { path: /users/me }
            service: users
            auth: [session]
            rewrite: "/users/{identity.sub}"
        """;

    static async Task<string> LoginAsync(HttpClient client, string? previousCookie = null)
    {
        using var response = await SessionLogins.LoginAsync(client, cookie: previousCookie);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return SessionLogins.Cookie(response);
    }

    static async Task<HttpResponseMessage> MeAsync(HttpClient client, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/users/me");
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Session_CreatedThroughOneNode_ValidOnTheOther_LogoutEndsItOnBoth()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var users = await UsersAsync();
        await using var one = await GatewayProcess.StartAsync(Config(users, redis));
        await using var two = await GatewayProcess.StartAsync(Config(users, redis));
        using var clientOne = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = one.BaseAddress };
        using var clientTwo = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = two.BaseAddress };

        var cookie = await LoginAsync(clientOne);
        using var onTwo = await MeAsync(clientTwo, cookie);
        using var onOne = await MeAsync(clientOne, cookie);

        onTwo.StatusCode.ShouldBe(HttpStatusCode.OK);
        users.Received.ShouldContain(r => r.PathAndQuery == "/users/alice");
        onOne.StatusCode.ShouldBe(HttpStatusCode.OK);

        using (var logout = new HttpRequestMessage(HttpMethod.Post, "/auth/logout"))
        {
            logout.Headers.Add("Cookie", cookie);
            (await clientTwo.SendAsync(logout, TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }
        using var afterLogout = await MeAsync(clientOne, cookie);
        afterLogout.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Login_AgainThroughTheOtherNode_RotatesTheId_OldOneRefusedEverywhere()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var users = await UsersAsync();
        await using var one = await GatewayProcess.StartAsync(Config(users, redis));
        await using var two = await GatewayProcess.StartAsync(Config(users, redis));
        using var clientOne = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = one.BaseAddress };
        using var clientTwo = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = two.BaseAddress };
        var first = await LoginAsync(clientOne);

        var second = await LoginAsync(clientTwo, previousCookie: first);

        second.ShouldNotBe(first);
        using var oldOnOne = await MeAsync(clientOne, first);
        using var newOnOne = await MeAsync(clientOne, second);
        oldOnOne.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        newOnOne.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task SessionStoreMemory_WithTopLevelRedis_SessionsStayOnTheirNode()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var users = await UsersAsync();
        await using var one = await GatewayProcess.StartAsync(Config(users, redis, ", store: memory"));
        await using var two = await GatewayProcess.StartAsync(Config(users, redis, ", store: memory"));
        using var clientOne = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = one.BaseAddress };
        using var clientTwo = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = two.BaseAddress };

        var cookie = await LoginAsync(clientOne);
        using var onOne = await MeAsync(clientOne, cookie);
        using var onTwo = await MeAsync(clientTwo, cookie);

        onOne.StatusCode.ShouldBe(HttpStatusCode.OK);
        onTwo.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Session_RedisDown_503ProblemThenWorksAgainWhenItReturns()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await using var users = await UsersAsync();
        await using var gateway = await GatewayUnderTest.StartAsync(Config(users, redis));
        using var client = gateway.CreateClient();
        var cookie = await LoginAsync(client);

        await redis.KillAsync();
        using var down = await MeAsync(client, cookie);
        var problem = await ProblemResponse.ReadAsync(down, TestContext.Current.CancellationToken);

        down.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        problem.ContentType.ShouldBe("application/problem+json");
        problem.Type.ShouldBe(Problem.Types.SessionStoreUnavailable);
        down.Headers.RetryAfter.ShouldNotBeNull();
        users.Received.ShouldNotContain(r => r.PathAndQuery == "/users/alice");

        await redis.StartAsync();
        // The session was in the old (in-memory, unpersisted) Redis; a new login works once the connection is back.
        var again = await RateLimiting.Poll.UntilAsync(async () =>
        {
            using var response = await SessionLogins.LoginAsync(client);
            return response.StatusCode;
        }, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(10));
        again.ShouldBe(HttpStatusCode.OK);
    }
}
