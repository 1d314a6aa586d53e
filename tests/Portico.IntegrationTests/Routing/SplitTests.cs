using System.Net;
using Microsoft.AspNetCore.Builder;
using Portico.IntegrationTests.Infrastructure;

namespace Portico.IntegrationTests.Routing;

/// Weighted splits through real HTTP: the measured share, sticky pinning by header and by cookie.
public sealed class SplitTests : IAsyncLifetime
{
    TestBackend _stable = null!;
    TestBackend _canary = null!;

    public async ValueTask InitializeAsync()
    {
        _stable = await TestBackend.StartAsync("stable");
        _canary = await TestBackend.StartAsync("canary");
    }

    public async ValueTask DisposeAsync()
    {
        await _canary.DisposeAsync();
        await _stable.DisposeAsync();
    }

    string Config(int stableWeight, int canaryWeight, string? sticky = null) => $$"""
        services:
          stable: { urls: ["{{_stable.Url}}"] }
          canary: { urls: ["{{_canary.Url}}"] }
        routes:
          - name: checkout
            match: { path: "/api/checkout/{**rest}" }
            split: { stable: {{stableWeight}}, canary: {{canaryWeight}} }
            {{(sticky is null ? "" : "sticky: " + sticky)}}
        """;

    [Fact]
    public async Task Split_90To10Over2000Requests_ShareWithinFourSigma()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(Config(90, 10));
        using var client = gateway.CreateClient();
        const int n = 2000;
        var counts = new Dictionary<string, int> { ["stable"] = 0, ["canary"] = 0 };

        for (var i = 0; i < n; i++)
        {
            var reply = await BackendReply.GetAsync(client, "/api/checkout/cart");
            reply.Status.ShouldBe(HttpStatusCode.OK);
            counts[reply.Backend!]++;
        }

        // Binomial(n=2000, p=0.1): sd = sqrt(n·p·(1−p)) ≈ 13.4, so 4 sd ≈ 54 requests (±2.7 points); a fair
        // implementation falls outside with probability ≈ 6e-5. A 50/50 or 100/0 split lands far outside.
        var sd = Math.Sqrt(n * 0.1 * 0.9);
        counts["canary"].ShouldBeInRange((int)Math.Floor(n * 0.1 - 4 * sd), (int)Math.Ceiling(n * 0.1 + 4 * sd));
        (counts["canary"] + counts["stable"]).ShouldBe(n);
    }

    [Fact]
    public async Task StickyHeader_SameValue_SameBackendEveryTime()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(Config(50, 50, "{ header: X-User-Id }"));
        using var client = gateway.CreateClient();

        foreach (var user in new[] { "alice", "bob", "carol", "dave" })
        {
            var seen = new HashSet<string>();
            for (var i = 0; i < 50; i++)
            {
                var reply = await BackendReply.GetAsync(client, "/api/checkout/pay", r => r.Headers.Add("X-User-Id", user));
                seen.Add(reply.Backend!);
            }
            seen.Count.ShouldBe(1, $"user {user} was sent to {string.Join(", ", seen)}");
        }
    }

    [Fact]
    public async Task StickyHeader_DifferentValues_SpreadAcrossBothBackends()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(Config(50, 50, "{ header: X-User-Id }"));
        using var client = gateway.CreateClient();
        var counts = new Dictionary<string, int> { ["stable"] = 0, ["canary"] = 0 };

        for (var i = 0; i < 200; i++)
        {
            var reply = await BackendReply.GetAsync(client, "/api/checkout/pay", r => r.Headers.Add("X-User-Id", $"user-{i}"));
            counts[reply.Backend!]++;
        }

        // 200 distinct keys hashed onto 50/50: each side gets far more than a handful.
        counts["stable"].ShouldBeGreaterThan(40);
        counts["canary"].ShouldBeGreaterThan(40);
    }

    [Fact]
    public async Task StickyCookie_FirstResponseSetsCookie_LaterRequestsStick()
    {
        await using var gateway = await GatewayUnderTest.StartAsync(Config(50, 50, "{ cookie: canary-pin }"));
        using var client = gateway.CreateClient();
        var firstBackends = new HashSet<string>();

        for (var visitor = 0; visitor < 20; visitor++)
        {
            using var first = await client.GetAsync("/api/checkout/start", TestContext.Current.CancellationToken);
            var firstReply = await BackendReply.ReadAsync(first);
            first.Headers.TryGetValues("Set-Cookie", out var setCookies).ShouldBeTrue();
            var pin = setCookies!.Single(c => c.StartsWith("canary-pin=", StringComparison.Ordinal));
            var cookie = pin.Split(';')[0];
            firstBackends.Add(firstReply.Backend!);

            for (var i = 0; i < 10; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/checkout/next");
                request.Headers.Add("Cookie", cookie);
                using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
                (await BackendReply.ReadAsync(response)).Backend.ShouldBe(firstReply.Backend);
                response.Headers.Contains("Set-Cookie").ShouldBeFalse();
            }
        }

        // Fresh visitors are spread: 20 random cookies on 50/50 all landing on one side has p ≈ 2e-6.
        firstBackends.Count.ShouldBe(2);
    }

    [Fact]
    public async Task StickyCookie_UpstreamAlsoSetsCookie_BothCookiesReachClient()
    {
        await using var backend = await TestBackend.StartAsync("cookie-setter", app => app.MapGet("/api/checkout/start", (Microsoft.AspNetCore.Http.HttpContext c) =>
        {
            c.Response.Cookies.Append("session", "s1");
            return "ok";
        }));
        await using var gateway = await GatewayUnderTest.StartAsync($$"""
            services:
              a: { urls: ["{{backend.Url}}"] }
              b: { urls: ["{{backend.Url}}"] }
            routes:
              - name: checkout
                match: { path: "/api/checkout/{**rest}" }
                split: { a: 50, b: 50 }
                sticky: { cookie: canary-pin }
            """);
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/api/checkout/start", TestContext.Current.CancellationToken);

        response.Headers.GetValues("Set-Cookie").ShouldContain(c => c.StartsWith("canary-pin=", StringComparison.Ordinal));
        response.Headers.GetValues("Set-Cookie").ShouldContain(c => c.StartsWith("session=s1", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{ header: X-Pin }", "X-Pin", "canary")]
    [InlineData("{ cookie: pin }", "Cookie", "pin=canary")]
    public async Task StickyValueNamingService_PinsEvenAtWeightZero(string sticky, string header, string value)
    {
        await using var gateway = await GatewayUnderTest.StartAsync(Config(100, 0, sticky));
        using var client = gateway.CreateClient();

        for (var i = 0; i < 20; i++)
        {
            var pinned = await BackendReply.GetAsync(client, "/api/checkout/x", r => r.Headers.Add(header, value));
            pinned.Backend.ShouldBe("canary");
        }
        var unpinned = await BackendReply.GetAsync(client, "/api/checkout/x", r => r.Headers.Add(header, header == "Cookie" ? "pin=someone" : "someone"));
        unpinned.Backend.ShouldBe("stable");
    }
}
